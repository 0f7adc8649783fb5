//! The browser entry point: hydrate the islands of the server-rendered page.
#![recursion_limit = "256"]

// Linked for its `#[island]` exports, which the island script calls by name; nothing here names them.
extern crate app;

// Islands mode: only the interactive parts (the booking and cancel forms) are hydrated; every other
// part of a page stays server-rendered HTML and costs no WASM.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
