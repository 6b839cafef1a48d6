//! s3dest-aws
