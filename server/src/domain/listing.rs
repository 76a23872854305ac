//! The platform's list queries (`search`, `sort`, `dir`, `parent`, `page_size`, and
//! `next` or `page`), parsed once, and the continuation tokens of `next`.
//!
//! A token is an HMAC-SHA256 tag over the offset of the page it opens, the list it
//! belongs to and every other parameter of the query it came from, followed by that
//! offset masked with a keystream drawn from the tag (so the token shows nothing), under
//! a key derived from the server's secret key. A token that was not issued for exactly
//! this list and query (forged, altered, or sent with another `search`, `sort`, `dir`,
//! `parent` or `page_size`) is refused with 400; it stays valid across restarts until
//! the secret key changes.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    AppError,
    types::{SearchText, clip, parse_guid},
};

const QUERY: &str = "invalid_query_parameter";

/// A page holds 10 items unless `page_size` says otherwise (the platform's default).
pub const DEFAULT_PAGE_SIZE: u32 = 10;
pub const MAX_PAGE_SIZE: u32 = 1000;
pub const MAX_PAGE: u32 = i32::MAX as u32;
/// The length of a continuation token: 24 bytes (offset and tag) in unpadded base64url.
pub const TOKEN_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// What a list may be sorted by: the query value and the key; and whether the list
/// takes `parent`.
pub trait SortKey: Copy + Default + Eq + 'static {
    const KEYS: &'static [(&'static str, Self)];
    const PARENT: bool;

    fn name(self) -> &'static str {
        Self::KEYS
            .iter()
            .find(|(_, key)| *key == self)
            .map_or("", |(name, _)| name)
    }
}

/// Declares what a list sorts by: each key's query value, written once, serves the
/// parse (`SortKey::KEYS`) and the OpenAPI enum; the first key is the default.
macro_rules! sort_key {
    ($(#[$doc:meta])* $name:ident { $first:ident = $first_value:tt $(, $key:ident = $value:tt)* }, parent: $parent:tt) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
        pub enum $name {
            #[default]
            #[serde(rename = $first_value)]
            $first,
            $(#[serde(rename = $value)] $key,)*
        }

        impl SortKey for $name {
            const KEYS: &'static [(&'static str, Self)] =
                &[($first_value, $name::$first) $(, ($value, $name::$key))*];
            const PARENT: bool = $parent;
        }
    };
}

sort_key!(
    /// Groups, distributors, resellers and tenants sort by `name` (the default),
    /// `billingId` or `uuid`.
    NodeSort { Name = "name", BillingId = "billingId", Uuid = "uuid" },
    parent: true
);
sort_key!(
    /// Subscriptions sort by `id` (the default), `name` or `licenseType`.
    SubscriptionSort { Id = "id", Name = "name", LicenseType = "licenseType" },
    parent: false
);

/// The sort direction (default `asc`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    #[default]
    Asc,
    Desc,
}

impl Dir {
    pub fn name(self) -> &'static str {
        match self {
            Dir::Asc => "asc",
            Dir::Desc => "desc",
        }
    }

    pub fn sql(self) -> &'static str {
        match self {
            Dir::Asc => "ASC",
            Dir::Desc => "DESC",
        }
    }
}

/// Where the page starts: a page number, or a continuation token still to be checked
/// against the list and the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    Page(u32),
    Next(String),
}

/// A list query, parsed. `parent` is read only for the lists of nodes.
#[derive(Clone, Debug)]
pub struct ListQuery<S> {
    pub search: SearchText,
    pub sort: S,
    pub dir: Dir,
    pub parent: Option<Uuid>,
    pub page_size: u32,
    pub position: Position,
}

impl<S: SortKey> ListQuery<S> {
    /// The query from its parameters (`get` returns a parameter's raw value). `next`
    /// takes precedence over `page`: the platform's own client sends both.
    pub fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, AppError> {
        let sort = sort_key(get("sort"))?;
        let dir = direction(get("dir"))?;
        let parent = get("parent")
            .filter(|_| S::PARENT)
            .map(parent_node)
            .transpose()?;
        let page_size = number(
            "page_size",
            get("page_size"),
            DEFAULT_PAGE_SIZE,
            MAX_PAGE_SIZE,
        )?;
        let page = number("page", get("page"), 1, MAX_PAGE)?;
        let position = match get("next") {
            Some(token) => Position::Next(token_shaped(token)?),
            None => Position::Page(page),
        };
        Ok(ListQuery {
            search: SearchText::parse(get("search").unwrap_or(""))?,
            sort,
            dir,
            parent,
            page_size,
            position,
        })
    }

    /// Page `page` of `page_size` items, sorted by default, filtered by `search`.
    pub fn page(page: u32, page_size: u32, search: SearchText) -> Self {
        ListQuery {
            search,
            sort: S::default(),
            dir: Dir::Asc,
            parent: None,
            page_size: page_size.clamp(1, MAX_PAGE_SIZE),
            position: Position::Page(page.clamp(1, MAX_PAGE)),
        }
    }

    /// Every parameter but the position, as a continuation token is bound to them.
    fn fingerprint(&self) -> String {
        format!(
            "search={}\nsort={}\ndir={}\nparent={}\npage_size={}",
            self.search.as_str(),
            self.sort.name(),
            self.dir.name(),
            self.parent.map(|p| p.to_string()).unwrap_or_default(),
            self.page_size
        )
    }
}

/// `sort`: one of the list's keys (its default when absent).
fn sort_key<S: SortKey>(value: Option<&str>) -> Result<S, AppError> {
    let Some(raw) = value else {
        return Ok(S::default());
    };
    S::KEYS
        .iter()
        .find(|(name, _)| *name == raw)
        .map(|(_, key)| *key)
        .ok_or_else(|| {
            let names: Vec<&str> = S::KEYS.iter().map(|(name, _)| *name).collect();
            AppError::invalid(
                QUERY,
                format!(
                    "sort must be one of {}, not '{}'",
                    names.join(", "),
                    clip(raw)
                ),
            )
        })
}

/// `dir`: `asc` (the default) or `desc`.
fn direction(value: Option<&str>) -> Result<Dir, AppError> {
    match value {
        None | Some("asc") => Ok(Dir::Asc),
        Some("desc") => Ok(Dir::Desc),
        Some(raw) => Err(AppError::invalid(
            QUERY,
            format!("dir must be asc or desc, not '{}'", clip(raw)),
        )),
    }
}

/// `parent`: a node's UUID.
fn parent_node(raw: &str) -> Result<Uuid, AppError> {
    parse_guid(raw).ok_or_else(|| {
        AppError::invalid(
            QUERY,
            format!(
                "parent must be the UUID of a group, distributor or reseller, not '{}'",
                clip(raw)
            ),
        )
    })
}

/// `next`, if it has a token's length and alphabet; its tag is checked against the
/// list and the query later (`Continuations::window`).
fn token_shaped(token: &str) -> Result<String, AppError> {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if token.len() != TOKEN_LEN || !token.bytes().all(alphabet) {
        return Err(not_a_token());
    }
    Ok(token.to_owned())
}

fn number(name: &str, value: Option<&str>, default: u32, max: u32) -> Result<u32, AppError> {
    match value {
        None => Ok(default),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(AppError::invalid(
                QUERY,
                format!(
                    "{name} must be an integer from 1 to {max}, not '{}'",
                    clip(raw)
                ),
            )),
        },
    }
}

fn not_a_token() -> AppError {
    AppError::invalid(
        QUERY,
        "next is not a continuation token of this list and query: send the one the previous page returned, with the same other parameters, or start again without it",
    )
}

/// The page a list query asks for, once its position is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u32,
}

/// The envelope of a page: `results`, `pages`, `page`, `next`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageInfo {
    pub results: u64,
    pub pages: u32,
    pub page: u32,
    pub next: Option<String>,
}

/// Issues and checks continuation tokens.
#[derive(Clone)]
pub struct Continuations {
    key: [u8; 32],
}

impl std::fmt::Debug for Continuations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Continuations(<key redacted>)")
    }
}

impl Continuations {
    pub fn new(key: [u8; 32]) -> Self {
        Continuations { key }
    }

    /// Where the page of `query` on the list `scope` starts.
    pub fn window<S: SortKey>(
        &self,
        scope: &str,
        query: &ListQuery<S>,
    ) -> Result<Window, AppError> {
        let offset = match &query.position {
            Position::Page(page) => u64::from(page.saturating_sub(1)) * u64::from(query.page_size),
            Position::Next(token) => self.offset(scope, &query.fingerprint(), token)?,
        };
        Ok(Window {
            offset,
            limit: query.page_size,
        })
    }

    /// The envelope of a page of `found` items at `window`, of `total` in all.
    pub fn page_info<S: SortKey>(
        &self,
        scope: &str,
        query: &ListQuery<S>,
        window: Window,
        found: usize,
        total: u64,
    ) -> PageInfo {
        let size = u64::from(window.limit);
        let end = window.offset + found as u64;
        PageInfo {
            results: total,
            pages: u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX),
            page: u32::try_from(window.offset / size + 1).unwrap_or(u32::MAX),
            next: (end < total)
                .then(|| self.issue(scope, &query.fingerprint(), window.offset + size)),
        }
    }

    fn issue(&self, scope: &str, fingerprint: &str, offset: u64) -> String {
        let tag = self.mac(scope, fingerprint, offset).finalize().into_bytes();
        let tag = &tag[..TAG_LEN];
        let mut bytes = tag.to_vec();
        bytes.extend_from_slice(&(offset ^ self.mask(tag)).to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn offset(&self, scope: &str, fingerprint: &str, token: &str) -> Result<u64, AppError> {
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| not_a_token())?;
        let (tag, masked) = bytes.split_at_checked(TAG_LEN).ok_or_else(not_a_token)?;
        let masked: [u8; 8] = masked.try_into().map_err(|_| not_a_token())?;
        let offset = u64::from_be_bytes(masked) ^ self.mask(tag);
        self.mac(scope, fingerprint, offset)
            .verify_truncated_left(tag)
            .map_err(|_| not_a_token())?;
        Ok(offset)
    }

    /// What hides the offset in a token: eight bytes drawn from the key and the tag.
    fn mask(&self, tag: &[u8]) -> u64 {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(b"fusion-next-mask/v1");
        mac.update(tag);
        let bytes = mac.finalize().into_bytes();
        u64::from_be_bytes(bytes[..8].try_into().expect("eight bytes"))
    }

    fn mac(&self, scope: &str, fingerprint: &str, offset: u64) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        for part in [b"fusion-next/v1", scope.as_bytes(), fingerprint.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.update(&offset.to_be_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn query(params: &[(&str, &str)]) -> Result<ListQuery<NodeSort>, AppError> {
        let params: HashMap<&str, &str> = params.iter().copied().collect();
        ListQuery::parse(|name| params.get(name).copied())
    }

    #[test]
    fn defaults_are_the_platforms() {
        let q = query(&[]).unwrap();
        assert_eq!(
            (q.sort, q.dir, q.parent, q.page_size, q.position),
            (NodeSort::Name, Dir::Asc, None, 10, Position::Page(1))
        );
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (name, value) in [
            ("page_size", "0"),
            ("page_size", "1001"),
            ("page", "0"),
            ("sort", "Name"),
            ("dir", "ASC"),
            ("parent", "nope"),
            ("next", "short"),
        ] {
            let error = query(&[(name, value)]).unwrap_err().to_string();
            assert!(error.starts_with(name), "{name}={value}: {error}");
        }
    }

    #[test]
    fn a_token_opens_only_the_list_and_query_it_came_from() {
        let tokens = Continuations::new([7; 32]);
        let first = query(&[("page_size", "2")]).unwrap();
        let info = tokens.page_info(
            "demo/tenants",
            &first,
            tokens.window("demo/tenants", &first).unwrap(),
            2,
            5,
        );
        let next = info.next.unwrap();
        assert_eq!(next.len(), TOKEN_LEN);
        let second = query(&[("page_size", "2"), ("next", &next)]).unwrap();
        assert_eq!(
            tokens.window("demo/tenants", &second).unwrap(),
            Window {
                offset: 2,
                limit: 2
            }
        );
        for other in [
            query(&[("page_size", "3"), ("next", &next)]).unwrap(),
            query(&[("page_size", "2"), ("search", "a"), ("next", &next)]).unwrap(),
            query(&[("page_size", "2"), ("dir", "desc"), ("next", &next)]).unwrap(),
        ] {
            assert!(tokens.window("demo/tenants", &other).is_err());
        }
        assert!(tokens.window("demo/resellers", &second).is_err());
        assert!(
            Continuations::new([8; 32])
                .window("demo/tenants", &second)
                .is_err()
        );
        let mut forged = next.into_bytes();
        forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
        let forged = query(&[
            ("page_size", "2"),
            ("next", std::str::from_utf8(&forged).unwrap()),
        ])
        .unwrap();
        assert!(tokens.window("demo/tenants", &forged).is_err());
    }
}
