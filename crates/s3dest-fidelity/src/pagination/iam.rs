//! IAM: `Marker` / `MaxItems` in, `IsTruncated` / `Marker` out (IAM API Reference,
//! "Using pagination": every List* action and GetAccountAuthorizationDetails).

use super::{EVERYTHING, decode_offset, encode_marker, page_limit};
use crate::xml::{self, Splices};

/// The operations paged, and their lists in the order they are paged across.
const LISTS: &[(&str, &[&str])] = &[
    (
        "GetAccountAuthorizationDetails",
        &[
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ],
    ),
    ("ListRoles", &["Roles"]),
    ("ListUsers", &["Users"]),
    ("ListAccessKeys", &["AccessKeyMetadata"]),
    ("ListRolePolicies", &["PolicyNames"]),
    ("ListUserPolicies", &["PolicyNames"]),
    ("ListAttachedRolePolicies", &["AttachedPolicies"]),
    ("ListAttachedUserPolicies", &["AttachedPolicies"]),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub operation: String,
    pub start: usize,
    pub limit: usize,
}

fn lists(operation: &str) -> Option<&'static [&'static str]> {
    LISTS
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, lists)| *lists)
}

pub fn is_paged(operation: &str) -> bool {
    lists(operation).is_some()
}

/// The form fields to send moto (no marker, a huge MaxItems) and the page to cut.
/// `Err` is the message of IAM's `ValidationError`.
pub fn prepare(
    operation: &str,
    fields: &[(String, String)],
    page_size: usize,
) -> Result<(Vec<(String, String)>, Page), String> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let start = match field("Marker") {
        None => 0,
        Some(marker) => {
            decode_offset(operation, marker).ok_or_else(|| format!("Invalid Marker: {marker}"))?
        }
    };
    let limit = page_limit(page_size, field("MaxItems"))
        .map_err(|_| "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must be a number".to_owned())?;
    let mut forwarded: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k != "Marker" && k != "MaxItems")
        .cloned()
        .collect();
    forwarded.push(("MaxItems".to_owned(), EVERYTHING.to_owned()));
    let page = Page {
        operation: operation.to_owned(),
        start,
        limit,
    };
    Ok((forwarded, page))
}

/// Cuts the page out of moto's full answer.
pub fn cut(page: &Page, body: &str) -> Result<String, String> {
    let names = lists(&page.operation).ok_or("not a paged operation")?;
    let doc = xml::parse(body)?;
    let result_name = format!("{}Result", page.operation);
    let result = xml::descendants(&doc, &result_name)
        .next()
        .ok_or_else(|| format!("no {result_name} in moto's answer"))?;
    let members: Vec<_> = names
        .iter()
        .filter_map(|name| xml::child(result, name))
        .flat_map(|list| xml::children(list, "member"))
        .collect();
    let end = page.start.saturating_add(page.limit).min(members.len());
    let truncated = end < members.len();
    let mut edits = Splices::default();
    for (index, member) in members.iter().enumerate() {
        if index < page.start || index >= end {
            edits.remove(*member);
        }
    }
    if let Some(old) = xml::child(result, "Marker") {
        edits.remove(old);
    }
    let mut tail = xml::element("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        let marker = encode_marker(&page.operation, &end.to_string());
        tail.push_str(&xml::element("Marker", &marker));
    }
    match xml::child(result, "IsTruncated") {
        Some(old) => edits.replace(old, tail),
        None => edits.append_child(result, tail, body),
    }
    Ok(edits.apply(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(n: usize) -> String {
        let members: String = (0..n)
            .map(|i| format!("<member><RoleName>r{i}</RoleName></member>"))
            .collect();
        format!(
            "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListRolesResult><Roles>{members}</Roles><IsTruncated>false</IsTruncated></ListRolesResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ListRolesResponse>"
        )
    }

    fn names(xml: &str, element: &str) -> Vec<String> {
        let doc = xml::parse(xml).unwrap();
        xml::descendants(&doc, element)
            .map(|n| n.text().unwrap_or("").to_owned())
            .collect()
    }

    fn marker(xml: &str) -> Option<String> {
        names(xml, "Marker").into_iter().next()
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn pages_follow_markers_to_the_end() {
        let full = roles(5);
        let mut seen = Vec::new();
        let mut request = fields(&[("Action", "ListRoles")]);
        let mut pages = 0;
        loop {
            let (forwarded, page) = prepare("ListRoles", &request, 2).unwrap();
            assert!(!forwarded.iter().any(|(k, _)| k == "Marker"));
            assert!(forwarded.contains(&("MaxItems".to_owned(), EVERYTHING.to_owned())));
            let body = cut(&page, &full).unwrap();
            pages += 1;
            seen.extend(names(&body, "RoleName"));
            let truncated = names(&body, "IsTruncated");
            match marker(&body) {
                Some(m) => {
                    assert_eq!(truncated, ["true"]);
                    request = fields(&[("Action", "ListRoles"), ("Marker", &m)]);
                }
                None => {
                    assert_eq!(truncated, ["false"]);
                    break;
                }
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, ["r0", "r1", "r2", "r3", "r4"]);
    }

    #[test]
    fn max_items_smaller_than_the_page_wins() {
        let request = fields(&[("Action", "ListRoles"), ("MaxItems", "1")]);
        let (_, page) = prepare("ListRoles", &request, 3).unwrap();
        let body = cut(&page, &roles(3)).unwrap();
        assert_eq!(names(&body, "RoleName"), ["r0"]);
    }

    #[test]
    fn account_details_page_across_all_lists() {
        let full = "<GetAccountAuthorizationDetailsResponse><GetAccountAuthorizationDetailsResult>\
            <UserDetailList><member><UserName>u0</UserName></member></UserDetailList>\
            <GroupDetailList/>\
            <RoleDetailList><member><RoleName>r0</RoleName></member><member><RoleName>r1</RoleName></member></RoleDetailList>\
            <Policies><member><PolicyName>p0</PolicyName></member></Policies>\
            <IsTruncated>false</IsTruncated></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>";
        let op = "GetAccountAuthorizationDetails";
        let (_, first) = prepare(op, &[], 2).unwrap();
        let body = cut(&first, full).unwrap();
        assert_eq!(names(&body, "UserName"), ["u0"]);
        assert_eq!(names(&body, "RoleName"), ["r0"]);
        assert!(names(&body, "PolicyName").is_empty());
        let next = fields(&[("Marker", &marker(&body).unwrap())]);
        let (_, second) = prepare(op, &next, 2).unwrap();
        let body = cut(&second, full).unwrap();
        assert_eq!(names(&body, "RoleName"), ["r1"]);
        assert_eq!(names(&body, "PolicyName"), ["p0"]);
        assert_eq!(marker(&body), None);
        assert_eq!(names(&body, "IsTruncated"), ["false"]);
    }

    #[test]
    fn an_invalid_marker_is_a_validation_error() {
        let request = fields(&[("Marker", "bogus")]);
        assert!(
            prepare("ListRoles", &request, 2)
                .unwrap_err()
                .contains("Marker")
        );
        let other = encode_marker("ListUsers", "1");
        assert!(prepare("ListRoles", &fields(&[("Marker", &other)]), 2).is_err());
    }

    #[test]
    fn motos_own_marker_is_replaced() {
        let full = roles(3).replace(
            "<IsTruncated>false</IsTruncated>",
            "<IsTruncated>true</IsTruncated><Marker>100</Marker>",
        );
        let (_, page) = prepare("ListRoles", &[], 5).unwrap();
        let body = cut(&page, &full).unwrap();
        assert_eq!(marker(&body), None);
        assert_eq!(names(&body, "IsTruncated"), ["false"]);
    }
}
