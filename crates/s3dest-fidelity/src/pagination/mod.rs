//! Pagination as AWS does it, over moto's unpaged answers: the client's marker and
//! page size are taken out of the request, moto is asked for everything, and the
//! page is cut out of its answer, with an opaque marker to the next one.
//!
//! Markers are `base64url(fid1 \n scope \n position \n check)`: the scope (the
//! operation, and for S3 the bucket) keeps a marker from being used elsewhere, the
//! check makes an edited marker invalid, as AWS's are.

pub mod iam;
pub mod s3;
pub mod secrets;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// moto pages some lists at 100 by default: the proxy asks for this many instead.
pub const EVERYTHING: &str = "1000000";

const VERSION: &str = "fid1";

pub fn encode_marker(scope: &str, position: &str) -> String {
    let check = checksum(scope, position);
    URL_SAFE_NO_PAD.encode(format!("{VERSION}\n{scope}\n{position}\n{check:016x}"))
}

/// The position a marker names, if it is one of ours for this scope.
pub fn decode_marker(scope: &str, marker: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(marker.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    // Scope and check hold no newline; the position (an S3 key) may.
    let (version, rest) = text.split_once('\n')?;
    let (marker_scope, rest) = rest.split_once('\n')?;
    let (position, check) = rest.rsplit_once('\n')?;
    let valid = version == VERSION
        && marker_scope == scope
        && check == format!("{:016x}", checksum(scope, position));
    valid.then(|| position.to_owned())
}

/// A marker's offset (IAM, Secrets Manager: positions in moto's full list).
pub fn decode_offset(scope: &str, marker: &str) -> Option<usize> {
    decode_marker(scope, marker)?.parse().ok()
}

/// FNV-1a over scope and position: not a secret, just enough to make edits fail.
fn checksum(scope: &str, position: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in scope.bytes().chain([0]).chain(position.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The page length: the proxy's page size, or the client's smaller maximum.
pub fn page_limit(page_size: usize, client_max: Option<&str>) -> Result<usize, String> {
    match client_max {
        None | Some("") => Ok(page_size),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .map(|max| max.min(page_size))
            .map_err(|_| format!("invalid maximum `{text}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_are_opaque() {
        let marker = encode_marker("ListRoles", "42");
        assert!(
            !marker.contains("42") && !marker.contains("ListRoles"),
            "{marker}"
        );
        assert_eq!(decode_offset("ListRoles", &marker), Some(42));
        let key_marker = encode_marker("ListObjectsV2:b", "folder/a b\n+c");
        assert_eq!(
            decode_marker("ListObjectsV2:b", &key_marker).as_deref(),
            Some("folder/a b\n+c")
        );
    }

    #[test]
    fn foreign_or_edited_markers_are_refused() {
        let marker = encode_marker("ListRoles", "2");
        assert_eq!(decode_offset("ListUsers", &marker), None);
        let forged = URL_SAFE_NO_PAD.encode("fid1\nListRoles\n4\n0000000000000000");
        assert_eq!(decode_offset("ListRoles", &forged), None);
        assert_eq!(decode_offset("ListRoles", "not a marker"), None);
        assert_eq!(decode_offset("ListRoles", ""), None);
    }

    #[test]
    fn the_client_may_ask_for_smaller_pages() {
        assert_eq!(page_limit(2, None), Ok(2));
        assert_eq!(page_limit(5, Some("3")), Ok(3));
        assert_eq!(page_limit(2, Some("100")), Ok(2));
        assert!(page_limit(2, Some("many")).is_err());
    }
}
