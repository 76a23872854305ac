//! Integers as JSON Schema counts them: `1.0` is the integer 1 (any number with no
//! fractional part), so a client that writes `1.0` for a documented integer is not
//! refused. serde alone accepts only `1`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, de::Error};

use super::SkuPart;

/// An integer, written as `1` or `1.0`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Integer(i64),
    Unsigned(u64),
    Float(f64),
}

impl Number {
    fn whole<T: TryFrom<i64> + TryFrom<u64>>(self) -> Option<T> {
        match self {
            Number::Integer(n) => T::try_from(n).ok(),
            Number::Unsigned(n) => T::try_from(n).ok(),
            // Exactly representable whole numbers only; larger ones are not integers
            // this server can take anyway.
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => T::try_from(f as i64).ok(),
            Number::Float(_) => None,
        }
    }
}

pub fn i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Number::deserialize(deserializer)?
        .whole()
        .ok_or_else(|| D::Error::custom("expected an integer"))
}

pub fn license_counts<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<SkuPart, u32>>, D::Error> {
    let counts = Option::<BTreeMap<SkuPart, Number>>::deserialize(deserializer)?;
    counts
        .map(|counts| {
            counts
                .into_iter()
                .map(|(sku, units)| {
                    units.whole().map(|units| (sku, units)).ok_or_else(|| {
                        D::Error::custom("license counts are integers from 0 to 4294967295")
                    })
                })
                .collect()
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Link {
        #[serde(deserialize_with = "i64")]
        id: i64,
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        for (text, expected) in [
            ("1", Some(1)),
            ("1.0", Some(1)),
            ("-3", Some(-3)),
            ("1.5", None),
            ("\"1\"", None),
            ("1e400", None),
        ] {
            let parsed = serde_json::from_str::<Link>(&format!("{{\"id\": {text}}}"))
                .ok()
                .map(|l| l.id);
            assert_eq!(parsed, expected, "{text}");
        }
    }
}
