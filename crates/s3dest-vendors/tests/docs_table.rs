//! `docs/vendors.md` is the catalogue's table: this fails when it is stale.

use std::path::PathBuf;

#[test]
fn the_docs_vendor_table_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/vendors.md");
    let generated = s3dest_vendors::docs_table();
    if std::env::var_os("S3DEST_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/vendors.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/vendors.md is stale: regenerate it with \
         `S3DEST_UPDATE_DOCS=1 cargo test -p s3dest-vendors --test docs_table`"
    );
}
