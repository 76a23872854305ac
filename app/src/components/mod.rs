//! Pieces shared by the pages.

mod download;
mod field;
mod notice;

pub use download::{go_to, save_file};
pub use field::TextField;
pub use notice::{ErrorNote, Loading};
