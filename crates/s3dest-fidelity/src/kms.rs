//! SSE-KMS buckets as S3 reports them: an object encrypted with SSE-KMS has an ETag
//! that is not the MD5 of its content (Amazon S3 API Reference: Object, `ETag`;
//! "Protecting data with server-side encryption using AWS KMS keys"), its responses
//! carry `x-amz-server-side-encryption` (`aws:kms`, or `aws:kms:dsse`) and the key id,
//! and GetBucketEncryption names the algorithm and the key the configuration named.
//! moto gives MD5 ETags whatever the encryption.

use crate::xml::{self, Splices};

/// The key an object's headers name when the bucket asked for SSE-KMS without
/// naming a key (GetBucketEncryption then names none).
pub const AWS_MANAGED_KEY: &str = "arn:aws:kms:us-east-1:123456789012:alias/aws/s3";

/// The ETag (quoted, as S3 sends it) an SSE-KMS object gets in place of moto's:
/// 32 hex digits, stable for the same object and content, never moto's MD5.
pub fn kms_etag(bucket: &str, key: &str, moto_etag: &str) -> String {
    let input = format!("{bucket}\0{key}\0{}", moto_etag.trim_matches('"'));
    let high = fnv64(0x6b6d_735f_6574_6167, &input);
    let low = fnv64(high, &input);
    format!("\"{high:016x}{low:016x}\"")
}

fn fnv64(seed: u64, input: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in input.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What a PutBucketEncryption body asks for: the algorithm and the key, if named.
pub fn requested_encryption(body: &str) -> Option<(String, Option<String>)> {
    let doc = xml::parse(body).ok()?;
    let default = xml::descendants(&doc, "ApplyServerSideEncryptionByDefault").next()?;
    let algorithm = xml::child_text(default, "SSEAlgorithm")?.trim().to_owned();
    let key = xml::child_text(default, "KMSMasterKeyID")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    Some((algorithm, key))
}

/// GetBucketEncryption's answer: the algorithm, and the key only when the
/// configuration named one (AWS reports no `KMSMasterKeyID` for `aws/s3`).
pub fn encryption_configuration(algorithm: &str, key: Option<&str>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault>{}{}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>",
        xml::element("SSEAlgorithm", algorithm),
        key.map(|k| xml::element("KMSMasterKeyID", k))
            .unwrap_or_default()
    )
}

/// The `(kms etag, moto etag)` pairs of a rewrite, so that conditional requests
/// naming a rewritten ETag can be translated back for moto.
pub type EtagPairs = Vec<(String, String)>;

/// ListObjects(V2): every `Contents/ETag` rewritten.
pub fn rewrite_listing(body: &str, bucket: &str) -> Option<(String, EtagPairs)> {
    let doc = xml::parse(body).ok()?;
    let mut edits = Splices::default();
    let mut pairs = Vec::new();
    for contents in xml::descendants(&doc, "Contents") {
        let (Some(key), Some(etag)) = (
            xml::child_text(contents, "Key"),
            xml::child(contents, "ETag"),
        ) else {
            continue;
        };
        let real = etag.text().unwrap_or("").to_owned();
        let fake = kms_etag(bucket, key, &real);
        edits.replace(etag, xml::element("ETag", &fake));
        pairs.push((fake, real));
    }
    (!edits.is_empty()).then(|| (edits.apply(body), pairs))
}

/// CopyObject's `CopyObjectResult/ETag` rewritten for the destination object.
pub fn rewrite_copy_result(body: &str, bucket: &str, key: &str) -> Option<(String, EtagPairs)> {
    let doc = xml::parse(body).ok()?;
    let etag = xml::descendants(&doc, "ETag").next()?;
    let real = etag.text().unwrap_or("").to_owned();
    let fake = kms_etag(bucket, key, &real);
    let mut edits = Splices::default();
    edits.replace(etag, xml::element("ETag", &fake));
    Some((edits.apply(body), vec![(fake, real)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_etags_are_stable_hex_and_not_motos() {
        let md5 = "\"9e107d9d372bb6826bd81d3542a419d6\"";
        let etag = kms_etag("b", "k", md5);
        assert_eq!(etag.len(), 34);
        assert!(
            etag.trim_matches('"')
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
        assert_ne!(etag, md5);
        assert_eq!(etag, kms_etag("b", "k", md5));
        assert_ne!(etag, kms_etag("b", "other", md5));
        assert_ne!(
            etag,
            kms_etag("b", "k", "\"d41d8cd98f00b204e9800998ecf8427e\"")
        );
    }

    #[test]
    fn reads_the_requested_encryption() {
        let kms = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:1:key/k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
        assert_eq!(
            requested_encryption(kms),
            Some((
                "aws:kms".into(),
                Some("arn:aws:kms:us-east-1:1:key/k".into())
            ))
        );
        let aes = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
        assert_eq!(requested_encryption(aes), Some(("AES256".into(), None)));
        assert_eq!(requested_encryption("junk"), None);
    }

    #[test]
    fn rewrites_listing_and_copy_etags() {
        let listing = "<ListBucketResult><Contents><Key>a</Key><ETag>&quot;abc&quot;</ETag></Contents><Contents><Key>b</Key><ETag>\"def\"</ETag></Contents></ListBucketResult>";
        let (body, pairs) = rewrite_listing(listing, "bk").unwrap();
        assert!(!body.contains("abc") && !body.contains("def"), "{body}");
        assert_eq!(pairs.len(), 2);
        assert_eq!(
            pairs[0],
            (kms_etag("bk", "a", "\"abc\""), "\"abc\"".to_owned())
        );
        let copy = "<CopyObjectResult><LastModified>x</LastModified><ETag>\"abc\"</ETag></CopyObjectResult>";
        let (body, _) = rewrite_copy_result(copy, "bk", "a").unwrap();
        assert!(body.contains(&xml::escape(&kms_etag("bk", "a", "abc"))));
        let named = encryption_configuration("aws:kms:dsse", Some("arn:k"));
        assert!(
            named.contains("<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>"),
            "{named}"
        );
        assert!(
            named.contains("<KMSMasterKeyID>arn:k</KMSMasterKeyID>"),
            "{named}"
        );
        let managed = encryption_configuration("aws:kms", None);
        assert!(!managed.contains("KMSMasterKeyID"), "{managed}");
        assert!(encryption_configuration("AES256", None).contains("<SSEAlgorithm>AES256<"));
    }
}
