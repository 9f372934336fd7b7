//! `auditpack keygen --out DIR --name NAME`: a new signing key pair. The secret key file is
//! created with mode 0600 and never overwritten; the public key is in minisign's format.

use std::fs;
use std::io::Write;

use crate::bundle::sign::SecretKey;
use crate::cli::KeygenArgs;
use crate::error::{Error, ExitStatus};

/// File names in the output folder.
pub(crate) const SECRET: &str = "auditpack.key";
/// The public key.
pub(crate) const PUBLIC: &str = "auditpack.pub";
/// The key id and fingerprint, to publish with the public key.
pub(crate) const FINGERPRINT: &str = "auditpack.fingerprint";
/// The self-signed certificate of the PDF signature key.
pub(crate) const CERTIFICATE: &str = "auditpack.crt";

/// Writes the key pair.
pub(crate) fn run(args: &KeygenArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let secret_path = args.out.join(SECRET);
    for name in [SECRET, PUBLIC, FINGERPRINT, CERTIFICATE] {
        let p = args.out.join(name);
        if p.exists() {
            return Err(Error::Exists {
                path: p,
                hint: "keys are never overwritten: choose another `--out` folder, or move the old keys away first",
            });
        }
    }
    let key = SecretKey::generate(&args.name).map_err(Error::Usage)?;
    let public = key.public();
    // The passphrase is checked before anything is written.
    let text = key
        .to_text(crate::config::Environment::read()?.key_password.as_deref())
        .map_err(Error::Usage)?;
    fs::create_dir_all(&args.out).map_err(|e| Error::io("create folder", &args.out, e))?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&secret_path)
        .map_err(|e| Error::io("create", &secret_path, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io("write", &secret_path, e))?;
    let fingerprint = format!(
        "signer: {}\npublic key sha256: {}\nkey id: {} (a label only: anyone can give a key this id; publish and pin the SHA-256)\nauditors pin it with: auditpack verify evidence-bundle.zip --fingerprint {}\n",
        args.name,
        public.fingerprint(),
        public.id(),
        public.fingerprint()
    );
    // A fixed validity (no clock): 2020-01-01 to 2100-01-01.
    let at = |y| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .expect("a valid date")
    };
    let certificate = key
        .pdf_key
        .as_ref()
        .map(|k| crate::bundle::pdfsign::certificate(k, &args.name, at(2020), at(2100)))
        .map(|der| crate::bundle::pdfsign::pem(&der))
        .unwrap_or_default();
    for (name, text) in [
        (PUBLIC, public.to_text()),
        (FINGERPRINT, fingerprint.clone()),
        (CERTIFICATE, certificate),
    ] {
        let p = args.out.join(name);
        fs::write(&p, text).map_err(|e| Error::io("write", &p, e))?;
    }
    let io = |e| Error::io("write", "standard output", e);
    if args.format == crate::cli::OutputFormat::Json {
        let path = |name: &str| args.out.join(name).display().to_string();
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "signer": args.name,
                "key_id": public.id(),
                "public_key_sha256": public.fingerprint(),
                "secret_key": path(SECRET),
                "public_key": path(PUBLIC),
                "certificate": path(CERTIFICATE),
                "fingerprint": path(FINGERPRINT),
            })
        )
        .map_err(io)?;
        return Ok(ExitStatus::Success);
    }
    writeln!(
        out,
        "wrote {} (secret, mode 0600: keep it private)\nwrote {} (public: give it to the auditor)\nwrote {} (certificate of the PDF signature)\n{fingerprint}",
        secret_path.display(),
        args.out.join(PUBLIC).display(),
        args.out.join(CERTIFICATE).display()
    )
    .map_err(io)?;
    Ok(ExitStatus::Success)
}
