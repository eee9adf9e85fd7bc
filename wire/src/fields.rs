//! The optional string fields of a customer, listed once. The service and the
//! gateway build everything they do with them (requests, rows, updates,
//! filters, REST bodies and objects, the OpenAPI document) from this list, so
//! adding a field means adding it to the proto, a migration, the entity, and
//! one line here.

/// Calls the macro `$then` with every field as `name: limit, rule;`, in the
/// order objects show them. `rule` is `email` (a valid address, at most
/// `limit` characters) or `text` (at most `limit` characters).
#[macro_export]
macro_rules! customer_texts {
    ($then:ident) => {
        $then! {
            email: $crate::limits::EMAIL_MAX, email;
            name: $crate::limits::NAME_MAX, text;
            phone: $crate::limits::PHONE_MAX, text;
            description: $crate::limits::DESCRIPTION_MAX, text;
        }
    };
}

/// One optional string field of a customer, for code that works by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextField {
    pub name: &'static str,
    /// The most characters a value may have.
    pub max_chars: usize,
    /// Whether a value must be a valid email address.
    pub email: bool,
}

macro_rules! table {
    ($($field:ident: $max:expr, $rule:ident;)*) => {
        /// Every optional string field of a customer, in object order.
        pub const CUSTOMER_TEXTS: &[TextField] = &[$(TextField {
            name: stringify!($field),
            max_chars: $max,
            email: matches!(stringify!($rule).as_bytes(), b"email"),
        }),*];
    };
}

customer_texts!(table);

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;
    use prost_types::field_descriptor_proto::{Label, Type};

    use super::*;

    /// The optional string fields the proto declares on `message`.
    fn proto_texts(message: &str) -> Vec<String> {
        let set = FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET).unwrap();
        let message = set
            .file
            .iter()
            .filter(|f| f.package() == "customers.v1")
            .flat_map(|f| &f.message_type)
            .find(|m| m.name() == message)
            .expect("the message is declared");
        message
            .field
            .iter()
            .filter(|f| f.r#type() == Type::String && f.proto3_optional())
            .filter(|f| f.label() == Label::Optional)
            .map(|f| f.name().to_owned())
            .collect()
    }

    #[test]
    fn the_list_is_the_protos_optional_strings() {
        let listed: Vec<&str> = CUSTOMER_TEXTS.iter().map(|f| f.name).collect();
        for message in ["Customer", "CreateCustomerRequest", "CustomerUpdate"] {
            assert_eq!(proto_texts(message), listed, "{message}");
        }
        assert!(CUSTOMER_TEXTS.iter().any(|f| f.email && f.name == "email"));
    }
}
