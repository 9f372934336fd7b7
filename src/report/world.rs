//! An in-memory typst `World` (modelled on typst-cli's `SystemWorld`): the rendered main
//! source, data files served from memory, and the fonts embedded in the binary. It never
//! reads the disk, never looks at system fonts, and has no packages.

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The embedded fonts (typst-assets: Libertinus Serif, New Computer Modern, DejaVu Sans
/// Mono), parsed once per process.
fn fonts() -> &'static (LazyHash<FontBook>, Vec<Font>) {
    static FONTS: OnceLock<(LazyHash<FontBook>, Vec<Font>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
    })
}

/// Whether some embedded font has a glyph for `c` (typst falls back across them all). A
/// character none has cannot go into a PDF/A: the text that carries it says so instead.
pub(crate) fn displayable(c: char) -> bool {
    if c.is_ascii() {
        return true;
    }
    thread_local! {
        static SEEN: std::cell::RefCell<HashMap<char, bool>> = std::cell::RefCell::new(HashMap::new());
    }
    SEEN.with(|seen| {
        *seen.borrow_mut().entry(c).or_insert_with(|| {
            c.is_whitespace() && c != '\u{a0}'
                || fonts()
                    .1
                    .iter()
                    .any(|f| f.info().coverage.contains(c as u32))
        })
    })
}

/// A file id for an absolute virtual path such as `/main.typ`.
pub(crate) fn file_id(path: &str) -> Option<FileId> {
    Some(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).ok()?).intern())
}

/// The world one report is compiled in.
pub(crate) struct ReportWorld {
    library: LazyHash<Library>,
    main: FileId,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl ReportWorld {
    /// `sources` are typst files by virtual path (`/report.typ`), the first one the main
    /// file; `files` are data served by virtual path (`/data.json`).
    pub(crate) fn new(
        sources: Vec<(String, String)>,
        files: Vec<(String, Vec<u8>)>,
        today: Datetime,
    ) -> Self {
        let sources: Vec<(FileId, Source)> = sources
            .into_iter()
            .filter_map(|(path, text)| {
                let id = file_id(&path)?;
                Some((id, Source::new(id, text)))
            })
            .collect();
        let main = sources
            .first()
            .map(|(id, _)| *id)
            .unwrap_or_else(|| file_id("/main.typ").expect("a valid virtual path"));
        let files = files
            .into_iter()
            .filter_map(|(path, bytes)| Some((file_id(&path)?, Bytes::new(bytes))))
            .collect();
        Self {
            library: LazyHash::new(Library::default()),
            main,
            sources: sources.into_iter().collect(),
            files,
            today,
        }
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().0
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().1.get(index).cloned()
    }

    /// The as-of date: `datetime.today()` never reads the clock.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
