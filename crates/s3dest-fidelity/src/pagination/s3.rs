//! S3 `ListObjectsV2` (Amazon S3 API Reference: ListObjectsV2, `continuation-token`,
//! `max-keys`, `KeyCount`, `IsTruncated`, `NextContinuationToken`). Keys and common
//! prefixes are paged together in key order, as S3 does; the token names the last
//! key returned, so keys added or removed between pages do not shift the pages.

use super::{EVERYTHING, decode_marker, encode_marker, page_limit};
use crate::xml::{self, Splices};

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub scope: String,
    /// Only entries after this one (from the client's continuation token).
    pub after: Option<String>,
    pub limit: usize,
    /// Echoed back as `MaxKeys` and `ContinuationToken`.
    pub max_keys: String,
    pub token: Option<String>,
}

fn scope(bucket: &str) -> String {
    format!("ListObjectsV2:{bucket}")
}

/// The query to send moto and the page to cut. `Err` is the message of S3's
/// `InvalidArgument`.
pub fn prepare(bucket: &str, query: &str, page_size: usize) -> Result<(String, Page), String> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let scope = scope(bucket);
    let token = get("continuation-token").map(str::to_owned);
    let after = match &token {
        None => None,
        Some(token) => Some(
            decode_marker(&scope, token).ok_or("The continuation token provided is incorrect")?,
        ),
    };
    let limit = page_limit(page_size, get("max-keys"))
        .map_err(|_| "Provided max-keys not an integer or within integer range")?;
    let mut forwarded: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && name != "continuation-token" && name != "max-keys"
        })
        .collect();
    let everything = format!("max-keys={EVERYTHING}");
    forwarded.push(&everything);
    let page = Page {
        scope,
        after,
        limit,
        max_keys: get("max-keys").unwrap_or("1000").to_owned(),
        token,
    };
    Ok((forwarded.join("&"), page))
}

pub fn cut(page: &Page, body: &str) -> Result<String, String> {
    let doc = xml::parse(body)?;
    let result = doc.root_element();
    if result.tag_name().name() != "ListBucketResult" {
        return Err("no ListBucketResult in moto's answer".into());
    }
    let mut entries: Vec<(String, xml::Node)> = result
        .children()
        .filter(|n| n.is_element())
        .filter_map(|n| {
            let key = match n.tag_name().name() {
                "Contents" => xml::child_text(n, "Key")?,
                "CommonPrefixes" => xml::child_text(n, "Prefix")?,
                _ => return None,
            };
            Some((key.to_owned(), n))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let remaining: Vec<_> = entries
        .iter()
        .filter(|(key, _)| page.after.as_ref().is_none_or(|after| key > after))
        .collect();
    let shown = page.limit.min(remaining.len());
    let truncated = shown < remaining.len() && shown > 0;
    let in_page: std::collections::BTreeSet<usize> = remaining[..shown]
        .iter()
        .map(|(_, node)| node.range().start)
        .collect();
    let mut edits = Splices::default();
    for (_, node) in &entries {
        if !in_page.contains(&node.range().start) {
            edits.remove(*node);
        }
    }
    for name in [
        "KeyCount",
        "MaxKeys",
        "IsTruncated",
        "ContinuationToken",
        "NextContinuationToken",
    ] {
        if let Some(old) = xml::child(result, name) {
            edits.remove(old);
        }
    }
    let mut head = xml::element("KeyCount", &shown.to_string());
    head.push_str(&xml::element("MaxKeys", &page.max_keys));
    head.push_str(&xml::element(
        "IsTruncated",
        if truncated { "true" } else { "false" },
    ));
    if let Some(token) = &page.token {
        head.push_str(&xml::element("ContinuationToken", token));
    }
    if truncated {
        let last = &remaining[shown - 1].0;
        head.push_str(&xml::element(
            "NextContinuationToken",
            &encode_marker(&page.scope, last),
        ));
    }
    match xml::child(result, "Prefix").or_else(|| xml::child(result, "Name")) {
        Some(anchor) => edits.insert_after(anchor, head),
        None => edits.append_child(result, head, body),
    }
    Ok(edits.apply(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(keys: &[&str], prefixes: &[&str]) -> String {
        let contents: String = keys
            .iter()
            .map(|k| format!("<Contents><Key>{k}</Key><ETag>&quot;e&quot;</ETag></Contents>"))
            .collect();
        let common: String = prefixes
            .iter()
            .map(|p| format!("<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>"))
            .collect();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix><MaxKeys>1000000</MaxKeys><KeyCount>{}</KeyCount><IsTruncated>false</IsTruncated>{contents}{common}</ListBucketResult>",
            keys.len() + prefixes.len()
        )
    }

    fn texts(xml: &str, name: &str) -> Vec<String> {
        let doc = xml::parse(xml).unwrap();
        xml::descendants(&doc, name)
            .map(|n| n.text().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn pages_keys_and_prefixes_together_in_key_order() {
        let full = listing(&["a", "c", "e"], &["b/", "d/"]);
        let mut query = "list-type=2&delimiter=%2F".to_owned();
        let mut seen = Vec::new();
        for round in 0.. {
            let (forwarded, page) = prepare("b", &query, 2).unwrap();
            assert_eq!(forwarded, "list-type=2&delimiter=%2F&max-keys=1000000");
            let body = cut(&page, &full).unwrap();
            seen.extend(texts(&body, "Key"));
            seen.extend(texts(&body, "Prefix").into_iter().filter(|p| !p.is_empty()));
            assert_eq!(texts(&body, "MaxKeys"), ["1000"]);
            match texts(&body, "NextContinuationToken").first() {
                Some(token) => {
                    assert_eq!(texts(&body, "KeyCount"), ["2"]);
                    assert_eq!(texts(&body, "IsTruncated"), ["true"]);
                    let encoded: String =
                        form_urlencoded::byte_serialize(token.as_bytes()).collect();
                    query = format!("list-type=2&delimiter=%2F&continuation-token={encoded}");
                }
                None => {
                    assert_eq!(round, 2);
                    assert_eq!(texts(&body, "KeyCount"), ["1"]);
                    assert_eq!(texts(&body, "IsTruncated"), ["false"]);
                    assert_eq!(texts(&body, "ContinuationToken").len(), 1);
                    break;
                }
            }
        }
        seen.sort();
        assert_eq!(seen, ["a", "b/", "c", "d/", "e"]);
    }

    #[test]
    fn max_keys_is_honoured_and_echoed() {
        let (_, page) = prepare("b", "list-type=2&max-keys=1", 5).unwrap();
        let body = cut(&page, &listing(&["a", "b"], &[])).unwrap();
        assert_eq!(texts(&body, "Key"), ["a"]);
        assert_eq!(texts(&body, "MaxKeys"), ["1"]);
    }

    #[test]
    fn a_foreign_token_is_refused() {
        let token = encode_marker("ListObjectsV2:other", "a");
        let query = format!("list-type=2&continuation-token={token}");
        assert!(prepare("b", &query, 2).is_err());
        assert!(prepare("b", "list-type=2&continuation-token=xyz", 2).is_err());
    }

    #[test]
    fn an_empty_listing_is_not_truncated() {
        let (_, page) = prepare("b", "list-type=2", 2).unwrap();
        let body = cut(&page, &listing(&[], &[])).unwrap();
        assert_eq!(texts(&body, "IsTruncated"), ["false"]);
        assert_eq!(texts(&body, "KeyCount"), ["0"]);
    }
}
