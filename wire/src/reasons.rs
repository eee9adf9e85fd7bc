//! Why a field was rejected: the `reason` of a `google.rpc.BadRequest` field
//! violation, so that clients (and the REST gateway) act on it without
//! parsing text.

/// One reason, written on the wire as [`Reason::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A required field is missing.
    Required,
    /// Not a valid email address.
    InvalidEmail,
    /// A string is longer than its limit (the violation's limit says which).
    TooLong,
    /// A map has more keys than allowed (the violation's limit says how many).
    TooManyKeys,
    /// A map key is empty.
    EmptyKey,
    /// A number or timestamp lies outside its allowed range.
    OutOfRange,
    /// Fields that cannot be given together were.
    MutuallyExclusive,
    /// A pagination cursor names no object the caller can see.
    UnknownCursor,
    /// A field path or filter field that does not exist.
    UnknownField,
    /// Any other malformed value.
    InvalidValue,
}

impl Reason {
    pub const ALL: [Reason; 10] = [
        Self::Required,
        Self::InvalidEmail,
        Self::TooLong,
        Self::TooManyKeys,
        Self::EmptyKey,
        Self::OutOfRange,
        Self::MutuallyExclusive,
        Self::UnknownCursor,
        Self::UnknownField,
        Self::InvalidValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "REQUIRED",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::TooLong => "TOO_LONG",
            Self::TooManyKeys => "TOO_MANY_KEYS",
            Self::EmptyKey => "EMPTY_KEY",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::MutuallyExclusive => "MUTUALLY_EXCLUSIVE",
            Self::UnknownCursor => "UNKNOWN_CURSOR",
            Self::UnknownField => "UNKNOWN_FIELD",
            Self::InvalidValue => "INVALID_VALUE",
        }
    }

    /// The reason a violation's text names, if it is one of these.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back() {
        for reason in Reason::ALL {
            assert_eq!(Reason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(Reason::parse("NOPE"), None);
    }
}
