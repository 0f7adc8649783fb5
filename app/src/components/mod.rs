//! Widgets used by more than one page.

pub mod feedback;
pub mod form;
pub mod nav;
pub mod service;
