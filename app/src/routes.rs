//! The dashboard's pages in one table: each page's path, whether it holds an island (the only pages
//! that load the browser bundle) and who may open it. The shell decides which pages load WASM from
//! it, and the request guard which paths need someone signed in; `App`'s `<Routes>` lists the same
//! paths with their components (a test checks the two agree).

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the sign-in page.
    Anyone,
    /// Someone signed in; anyone else is sent to sign in first.
    SignedIn,
}

/// One page of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The path, with `:name` for one segment (`/bookings/:id`).
    pub path: &'static str,
    /// Whether it holds an island (and so loads the browser bundle).
    pub islands: bool,
    pub access: Access,
}

const fn page(path: &'static str, islands: bool, access: Access) -> Page {
    Page {
        path,
        islands,
        access,
    }
}

/// Every page.
pub const PAGES: [Page; 21] = [
    page("/", false, Access::SignedIn),
    page("/book", true, Access::SignedIn),
    page("/upcoming", false, Access::SignedIn),
    page("/attention", false, Access::SignedIn),
    page("/bookings/:id", true, Access::SignedIn),
    page("/sign-in", false, Access::Anyone),
    page("/account", false, Access::SignedIn),
    page("/sites", false, Access::SignedIn),
    page("/admin/users", false, Access::SignedIn),
    page("/admin/customers", false, Access::SignedIn),
    page("/admin/customers/:id", false, Access::SignedIn),
    page("/inbox", false, Access::SignedIn),
    page("/admin/mail", false, Access::SignedIn),
    page("/forgot-password", false, Access::Anyone),
    page("/reset-password", false, Access::Anyone),
    page("/unsubscribe", false, Access::Anyone),
    page("/mail", false, Access::SignedIn),
    page("/integrations", false, Access::SignedIn),
    page("/integrations/webhooks/:id", false, Access::SignedIn),
    page("/closures", false, Access::SignedIn),
    page("/several", false, Access::SignedIn),
];

impl Page {
    /// Whether `path` is this page: the same segments, a `:name` matching any one non-empty one.
    pub fn matches(&self, path: &str) -> bool {
        let mut wanted = self.path.split('/');
        let mut given = path.split('/');
        loop {
            match (wanted.next(), given.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w.starts_with(':') && !g.is_empty() => {}
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

/// The page at `path`, if there is one.
pub fn page_at(path: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.matches(path))
}

/// Whether the page at `path` holds an island. Every other page is plain HTML and loads no WASM.
pub fn has_islands(path: &str) -> bool {
    page_at(path).is_some_and(|p| p.islands)
}

/// Whether opening `path` needs someone signed in: every page but those open to anyone, and any
/// path that is no page (its 404 is for signed-in people only: a stranger learns nothing).
pub fn needs_sign_in(path: &str) -> bool {
    page_at(path).is_none_or(|p| p.access == Access::SignedIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_pages_only() {
        assert!(has_islands("/book"));
        assert!(has_islands("/bookings/12"));
        assert!(!has_islands("/bookings/"));
        assert!(!has_islands("/bookings/12/x"));
        assert!(!has_islands("/booking"));
        assert!(!has_islands("/"));
        assert!(!needs_sign_in("/sign-in"));
        assert!(needs_sign_in("/sign-in/x"));
        assert!(needs_sign_in("/admin/customers/4"));
        assert!(needs_sign_in("/no-such-page"));
    }
}
