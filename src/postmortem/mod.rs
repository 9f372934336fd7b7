/*!
Postmortem evidence: which incidents needed a postmortem, which documents cover them, whether
each was on time and complete. `content` reads one document's words; `extract` gets the words
out of a PDF; this module joins documents to incidents under the policy.
*/

pub mod content;
pub mod extract;
