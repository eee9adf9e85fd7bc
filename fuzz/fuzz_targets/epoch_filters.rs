//! The epoch profile's `filters` query parameter.
#![no_main]

use libfuzzer_sys::fuzz_target;

use customerd_gateway::filters;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = filters::parse(text);
});
