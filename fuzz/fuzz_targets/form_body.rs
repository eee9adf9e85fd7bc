//! Request bodies, form and JSON, and the field reader over what they parse to.
#![no_main]

use libfuzzer_sys::fuzz_target;

use customerd_gateway::body::Body;

/// Takes the fields a create or update reads, then the rest as unknown.
fn read(body: Body) {
    let mut f = body.fields();
    let _ = f.string("email");
    let _ = f.string_map("metadata");
    let _ = f.integer("amount");
    let _ = f.string_list("expand");
    let _ = f.boolean("validate_only");
    let _ = f.finish();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = Body::parse_form(data) {
        read(body);
    }
    if let Ok(body) = Body::parse(data) {
        read(body);
    }
});
