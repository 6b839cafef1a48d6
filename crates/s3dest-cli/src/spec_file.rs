//! Which file a spec was read from, as everything it makes records it (`s3dest:file`,
//! see [`s3dest_spec::SpecFile`]): the file's path relative to the root of the git work
//! tree holding it, so that every clone and CI checkout of a repository names it alike;
//! else its absolute path. Found here, where files are, and handed to the pure core as
//! data.

use std::path::{MAIN_SEPARATOR, Path, PathBuf};

use s3dest_spec::{Spec, SpecFile};

/// `spec`, as read from the file at `path` (which may be gone: a saved plan's spec).
pub fn with_file(mut spec: Spec, path: &Path) -> Spec {
    spec.file = identify(path);
    spec
}

/// The file at `path`; `None` when where it is cannot be known (its folder is gone, or
/// it is standard input, `-`).
pub fn identify(path: &Path) -> Option<SpecFile> {
    if crate::commands::is_stdin(path) {
        return None;
    }
    let absolute = canonical(path)?;
    let shown = match work_tree_root(&absolute) {
        Some(root) => slashed(absolute.strip_prefix(root).ok()?),
        None => slashed(&absolute),
    };
    Some(SpecFile::from_path(&shown))
}

/// The absolute path of the file, links resolved (one file reached two ways is one
/// file): of the file itself, or of its folder when the file is gone.
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(found) = path.canonicalize() {
        return Some(found);
    }
    let name = path.file_name()?;
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    Some(folder.canonicalize().ok()?.join(name))
}

/// The nearest folder above the file holding `.git` (a folder, or a file in a linked
/// work tree or a submodule).
fn work_tree_root(file: &Path) -> Option<&Path> {
    file.ancestors()
        .skip(1)
        .find(|folder| folder.join(".git").exists())
}

/// The path with `/` separators, whatever the platform's.
fn slashed(path: &Path) -> String {
    let text = path.to_string_lossy();
    match MAIN_SEPARATOR {
        '/' => text.into_owned(),
        other => text.replace(other, "/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of its own under the temporary folder, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("s3dest-spec-file-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir.canonicalize().unwrap())
        }

        fn file(&self, relative: &str) -> PathBuf {
            let path = self.0.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "version: 1\n").unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn id(path: &Path) -> String {
        identify(path).unwrap().as_str().to_owned()
    }

    #[test]
    fn in_a_work_tree_a_file_is_its_path_from_the_root() {
        let tmp = Scratch::new("tree");
        std::fs::create_dir(tmp.0.join(".git")).unwrap();
        let a = tmp.file("team-a/s3dest.yaml");
        let b = tmp.file("team-b/s3dest.yaml");
        assert_eq!(id(&a), "team-a/s3dest.yaml");
        assert_eq!(id(&b), "team-b/s3dest.yaml");
        assert_eq!(id(&tmp.file("s3dest.yaml")), "s3dest.yaml");
        // However it is reached.
        assert_eq!(id(&tmp.0.join("team-b/../team-a/./s3dest.yaml")), id(&a));
        #[cfg(unix)]
        {
            let link = tmp.0.join("link.yaml");
            std::os::unix::fs::symlink(&a, &link).unwrap();
            assert_eq!(id(&link), "team-a/s3dest.yaml");
        }
    }

    #[test]
    fn the_nearest_work_tree_counts_and_a_git_file_makes_one() {
        let tmp = Scratch::new("nested");
        std::fs::create_dir(tmp.0.join(".git")).unwrap();
        // A linked work tree or a submodule has a `.git` file.
        std::fs::create_dir_all(tmp.0.join("vendor/specs")).unwrap();
        std::fs::write(
            tmp.0.join("vendor/specs/.git"),
            "gitdir: ../../.git/modules/x\n",
        )
        .unwrap();
        let inner = tmp.file("vendor/specs/prod/s3dest.yaml");
        assert_eq!(id(&inner), "prod/s3dest.yaml");
    }

    #[test]
    fn outside_a_work_tree_a_file_is_its_absolute_path() {
        let tmp = Scratch::new("loose");
        let file = tmp.file("specs/s3dest.yaml");
        let expected = slashed(&tmp.0.join("specs/s3dest.yaml"));
        // Unless the temporary folder is itself in a work tree.
        if work_tree_root(&file).is_none() {
            assert_eq!(id(&file), expected);
            assert!(id(&file).starts_with('/') || cfg!(windows));
        }
    }

    #[test]
    fn a_file_that_is_gone_is_named_by_its_folder() {
        let tmp = Scratch::new("gone");
        std::fs::create_dir(tmp.0.join(".git")).unwrap();
        std::fs::create_dir(tmp.0.join("team-a")).unwrap();
        assert_eq!(id(&tmp.0.join("team-a/old.yaml")), "team-a/old.yaml");
        // A saved plan's spec, relative to the plan file.
        std::fs::create_dir(tmp.0.join("plans")).unwrap();
        assert_eq!(
            id(&tmp.0.join("plans/../team-a/old.yaml")),
            "team-a/old.yaml"
        );
        assert_eq!(identify(&tmp.0.join("no-such-folder/s3dest.yaml")), None);
    }

    #[test]
    fn a_path_no_tag_can_hold_is_a_digest_ending_in_its_last_parts() {
        let tmp = Scratch::new("long");
        std::fs::create_dir(tmp.0.join(".git")).unwrap();
        let deep = format!("{}/team-a/s3dest.yaml", "d".repeat(250));
        let file = id(&tmp.file(&deep));
        assert!(file.starts_with("fnv1a:"), "{file}");
        assert!(file.ends_with(":team-a/s3dest.yaml"), "{file}");
        assert!(file.chars().count() <= 256, "{file}");
        assert_eq!(id(&tmp.0.join(&deep)), file, "stable");
        let odd = id(&tmp.file("specs (old)/s3dest.yaml"));
        assert!(
            odd.starts_with("fnv1a:") && odd.ends_with(":s3dest.yaml"),
            "{odd}"
        );
    }

    #[test]
    fn the_spec_gets_its_file() {
        let tmp = Scratch::new("spec");
        std::fs::create_dir(tmp.0.join(".git")).unwrap();
        let path = tmp.file("s3dest.yaml");
        let text = "version: 1\nname: acme\nbuckets: {}\ndestinations: {}\n";
        let spec = s3dest_spec::parse("s3dest.yaml", text).unwrap().spec;
        let spec = with_file(spec, &path);
        assert_eq!(spec.file, Some(SpecFile::from_path("s3dest.yaml")));
    }
}
