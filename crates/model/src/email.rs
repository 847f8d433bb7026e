//! E-mail addresses, the sign-in name of staff accounts.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A syntactically plausible e-mail address, trimmed and lower-cased (so that sign-in is
/// case-insensitive). Deliverability is not checked: Terrain sends no mail by itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why an e-mail address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid e-mail address {0:?}")]
pub struct EmailError(pub String);

impl Email {
    /// Parses `Name@Example.org` into `name@example.org`.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim().to_lowercase();
        let err = || EmailError(input.to_string());
        let (local, domain) = s.split_once('@').ok_or_else(err)?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if ok { Ok(Self(s)) } else { Err(err()) }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Anne.Martin@Exemple.FR ").unwrap().as_str(),
            "anne.martin@exemple.fr"
        );
    }

    #[test]
    fn bad_emails_are_rejected() {
        for bad in [
            "",
            "anne",
            "anne@",
            "@x.fr",
            "anne@localhost",
            "a b@x.fr",
            "a@x..fr",
            "a@b@c.fr",
            "<a@x.fr>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
