//! REST/JSON gateway for customerd.
