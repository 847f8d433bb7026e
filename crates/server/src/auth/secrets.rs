//! Secrets: random tokens, their stored hashes, invite codes and passwords (argon2id).
//!
//! Session cookies, API tokens and invite codes are random; only their SHA-256 is stored, so a
//! copy of the database does not let anyone sign in. Passwords are hashed with argon2id on a
//! blocking thread (the hash is deliberately slow).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::fmt;

/// A password as typed: never printed.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The password text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Minimum length accepted for a new staff password.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub async fn hash_password(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await?
}

/// A PHC string of a random password, to compare against when the account does not exist,
/// so that "unknown user" and "wrong password" take the same time.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$WlR3aGVpd3FuYlpUZ2lTWQ$8Rr3wS6Cr5uAQ+Yfv2fT0bZk4gkq0l9Bz8bK0p6nXnA"
}

/// Checks a password against a stored PHC string. A malformed hash is a non-match.
pub async fn verify_password(password: Password, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A random secret of 32 bytes, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a secret: what the database keeps.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The prefix of API tokens, so that a leaked one is recognisable in a scan.
pub const API_TOKEN_PREFIX: &str = "trn_";

/// Letters and digits that cannot be confused when read aloud or copied from paper (no 0/O,
/// 1/I/L).
const INVITE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new invite code: 10 characters from a 31-letter alphabet (~49 bits), shown `ABCDE-FGHJK`.
pub fn invite_code() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..10)
        .map(|_| INVITE_ALPHABET[rng.random_range(0..INVITE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Normalises a typed invite code (case, spaces, dashes) before hashing it.
pub fn normalise_invite_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password(Password::new("correct horse battery"))
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(Password::new("correct horse battery"), h.clone()).await);
        assert!(!verify_password(Password::new("wrong"), h).await);
        assert!(!verify_password(Password::new("x"), "not a hash".into()).await);
        // The decoy must parse, or an unknown user would answer faster than a wrong password.
        assert!(PasswordHash::new(decoy_hash()).is_ok());
        assert!(!verify_password(Password::new("x"), decoy_hash().into()).await);
    }

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            format!("{:?}", Password::new("hunter2")),
            "Password([redacted])"
        );
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(hash_secret("abc").len(), 64);
        assert_ne!(hash_secret(&a), a);
    }

    #[test]
    fn invite_codes_are_readable_and_normalised() {
        let c = invite_code();
        assert_eq!(c.len(), 11);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(
            normalise_invite_code(&c.to_lowercase().replace('-', " ")),
            c.replace('-', "")
        );
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
