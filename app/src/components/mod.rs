//! Pieces shared by the pages.

mod download;
mod field;
mod notice;

pub use download::save_file;
pub use field::TextField;
pub use notice::{ErrorNote, Loading};
