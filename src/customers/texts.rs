//! Everything the service does with a customer's optional string fields,
//! generated from the one list of them (`customerd_wire::customer_texts!`):
//! the values a request carries, their checks, the row they are stored in,
//! the columns an update writes, and the object they are answered in.

use sea_orm::ActiveValue::{NotSet, Set};

use super::{Change, Customer};
use crate::auth::Tenant;
use crate::db::entities::customer;
use crate::proto::customers::v1 as pb;
use crate::proto::timestamp;
use crate::validation::Violations;

/// Checks one field's value by its rule.
macro_rules! check {
    (email, $v:expr, $path:expr, $value:expr, $max:expr) => {
        $v.email($path, $value)
    };
    (text, $v:expr, $path:expr, $value:expr, $max:expr) => {
        $v.max_chars($path, $value, $max)
    };
}

macro_rules! texts {
    ($($field:ident: $max:expr, $rule:ident;)*) => {
        /// A customer's optional string fields, one `T` each.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Texts<T> {
            $(pub $field: T,)*
        }

        impl<T> Texts<T> {
            /// The field names, in object order.
            pub const NAMES: &[&str] = &[$(stringify!($field)),*];

            /// Each field's name and value, in object order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, &T)> {
                [$((stringify!($field), &self.$field)),*].into_iter()
            }

            /// Each field's value turned into another, given its name.
            pub fn map<U>(self, mut f: impl FnMut(&'static str, T) -> U) -> Texts<U> {
                Texts { $($field: f(stringify!($field), self.$field),)* }
            }
        }

        impl Texts<Option<String>> {
            /// The values a create request carries.
            pub fn of_create(request: &pb::CreateCustomerRequest) -> Self {
                Self { $($field: request.$field.clone(),)* }
            }

            /// The values an update request carries.
            pub fn of_update(update: &pb::CustomerUpdate) -> Self {
                Self { $($field: update.$field.clone(),)* }
            }

            /// The values a row holds.
            pub fn of_row(row: &customer::Model) -> Self {
                Self { $($field: row.$field.clone(),)* }
            }

            /// Checks every value present; `prefix` is where they sit in the request.
            pub fn check(&self, v: &mut Violations, prefix: &str) {
                $(if let Some(value) = &self.$field {
                    check!($rule, v, &format!("{prefix}{}", stringify!($field)), value, $max);
                })*
            }
        }

        /// A new customer's row.
        pub fn row(id: String, tenant: &Tenant, texts: Texts<Option<String>>, now: i64) -> customer::Model {
            customer::Model {
                id,
                account_id: tenant.account_id.clone(),
                live: tenant.live,
                $($field: texts.$field,)*
                created_at: now,
                updated_at: now,
            }
        }

        /// The columns an update writes: the changed fields and `updated_at`.
        pub fn changed(changes: &Texts<Change<String>>, now: i64) -> customer::ActiveModel {
            customer::ActiveModel {
                id: NotSet,
                account_id: NotSet,
                live: NotSet,
                $($field: match &changes.$field {
                    Change::Keep => NotSet,
                    Change::Set(value) => Set(Some(value.clone())),
                    Change::Clear => Set(None),
                },)*
                created_at: NotSet,
                updated_at: Set(now),
            }
        }

        impl From<Customer> for pb::Customer {
            fn from(c: Customer) -> Self {
                Self {
                    id: c.id,
                    $($field: c.texts.$field,)*
                    metadata: c.metadata,
                    live: c.live,
                    created_at: Some(timestamp(c.created_at)),
                    updated_at: Some(timestamp(c.updated_at)),
                }
            }
        }
    };
}

customerd_wire::customer_texts!(texts);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_wire_list() {
        let wire: Vec<&str> = customerd_wire::fields::CUSTOMER_TEXTS
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(Texts::<()>::NAMES, wire.as_slice());
    }

    #[test]
    fn an_update_writes_only_what_changes() {
        let changes = Texts::<Change<String>> {
            name: Change::Set("Ada".to_owned()),
            phone: Change::Clear,
            ..Default::default()
        };
        let row = changed(&changes, 7);
        assert_eq!(row.name, Set(Some("Ada".to_owned())));
        assert_eq!(row.phone, Set(None));
        assert_eq!(row.email, NotSet);
        assert_eq!(row.updated_at, Set(7));
    }
}
