//! Secrets Manager `ListSecrets` (AWS Secrets Manager API Reference: ListSecrets,
//! `MaxResults`, `NextToken`).

use serde_json::Value;

use super::{decode_offset, encode_marker, page_limit};

const SCOPE: &str = "ListSecrets";

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub start: usize,
    pub limit: usize,
}

/// The body to send moto and the page to cut. `Err` is the message of
/// `InvalidNextTokenException`.
pub fn prepare(body: &[u8], page_size: usize) -> Result<(Vec<u8>, Page), String> {
    let mut request: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| format!("request is not JSON: {e}"))?
    };
    let object = request
        .as_object_mut()
        .ok_or("request is not a JSON object")?;
    let start = match object.remove("NextToken") {
        None | Some(Value::Null) => 0,
        Some(token) => {
            let token = token.as_str().unwrap_or_default().to_owned();
            decode_offset(SCOPE, &token).ok_or("The NextToken value is invalid.")?
        }
    };
    let client_max = object.remove("MaxResults").map(|v| v.to_string());
    let limit = page_limit(page_size, client_max.as_deref())?;
    object.insert("MaxResults".into(), Value::from(1_000_000));
    let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    Ok((body, Page { start, limit }))
}

pub fn cut(page: &Page, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut response: Value = serde_json::from_slice(body)
        .map_err(|e| format!("moto sent JSON that does not parse: {e}"))?;
    let object = response
        .as_object_mut()
        .ok_or("moto's answer is not an object")?;
    let list = match object.get_mut("SecretList") {
        Some(Value::Array(list)) => std::mem::take(list),
        _ => Vec::new(),
    };
    let total = list.len();
    let end = page.start.saturating_add(page.limit).min(total);
    let shown: Vec<Value> = list
        .into_iter()
        .skip(page.start)
        .take(end.saturating_sub(page.start))
        .collect();
    object.insert("SecretList".into(), Value::Array(shown));
    object.remove("NextToken");
    if end < total {
        object.insert(
            "NextToken".into(),
            Value::from(encode_marker(SCOPE, &end.to_string())),
        );
    }
    serde_json::to_vec(&response).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &[u8]) -> Vec<String> {
        let v: Value = serde_json::from_slice(body).unwrap();
        v["SecretList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn pages_follow_next_tokens() {
        let full = serde_json::json!({"SecretList": [{"Name": "a"}, {"Name": "b"}, {"Name": "c"}]})
            .to_string();
        let (forwarded, page) = prepare(br#"{"MaxResults": 5, "Filters": []}"#, 2).unwrap();
        let forwarded: Value = serde_json::from_slice(&forwarded).unwrap();
        assert_eq!(forwarded["MaxResults"], 1_000_000);
        assert_eq!(forwarded["Filters"], serde_json::json!([]));
        let first = cut(&page, full.as_bytes()).unwrap();
        assert_eq!(names(&first), ["a", "b"]);
        let token = serde_json::from_slice::<Value>(&first).unwrap()["NextToken"].clone();
        let request = serde_json::json!({ "NextToken": token }).to_string();
        let (_, page) = prepare(request.as_bytes(), 2).unwrap();
        let second = cut(&page, full.as_bytes()).unwrap();
        assert_eq!(names(&second), ["c"]);
        assert!(
            serde_json::from_slice::<Value>(&second)
                .unwrap()
                .get("NextToken")
                .is_none()
        );
    }

    #[test]
    fn an_invalid_token_is_refused() {
        assert!(prepare(br#"{"NextToken": "nope"}"#, 2).is_err());
        assert!(prepare(b"not json", 2).is_err());
        assert!(prepare(b"", 2).is_ok());
    }
}
