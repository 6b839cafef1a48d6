pub const ACCOUNT: &str = "123456789012";
