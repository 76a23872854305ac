//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as
//! authenticator apps compute them from a Base32 shared secret.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;

/// The shared secret from its Base32 text (RFC 4648, padding and case ignored).
pub fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    (!bytes.is_empty()).then_some(bytes)
}

/// The code for time step `step`.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// The time step of `unix_seconds`.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The step whose code `code` is, among the current one and its neighbours (clocks
/// drift), and later than `after` (a code is good once).
pub fn matching_step(secret: &[u8], code: &str, now_step: i64, after: Option<i64>) -> Option<i64> {
    (now_step - 1..=now_step + 1)
        .filter(|step| after.is_none_or(|used| *step > used))
        .find(|step| bool::from(code_at(secret, *step).as_bytes().ct_eq(code.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // RFC 6238, appendix B (SHA-1, secret "12345678901234567890"), last six digits.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, step_of(time)), code, "{time}");
        }
    }

    #[test]
    fn base32_secrets_decode_as_authenticator_apps_read_them() {
        assert_eq!(
            decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            b"12345678901234567890"
        );
        assert_eq!(
            decode_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            b"12345678901234567890"
        );
        assert!(decode_base32("not base32!").is_none());
    }

    #[test]
    fn a_code_is_good_in_its_step_and_the_neighbours_and_only_once() {
        let secret = b"12345678901234567890";
        let code = code_at(secret, 1000);
        assert_eq!(matching_step(secret, &code, 1000, None), Some(1000));
        assert_eq!(matching_step(secret, &code, 1001, None), Some(1000));
        assert_eq!(matching_step(secret, &code, 1002, None), None);
        assert_eq!(matching_step(secret, &code, 1000, Some(1000)), None);
    }
}
