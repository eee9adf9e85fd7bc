//! The search query language and the `next_page` token.
#![no_main]

use libfuzzer_sys::fuzz_target;

use customerd::customers::search;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(err) = search::parse(text) {
        let _ = err.to_string();
    }
    let _ = search::decode_page(text);
});
