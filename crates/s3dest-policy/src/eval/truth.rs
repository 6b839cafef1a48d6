//! Three-valued (Kleene) logic: a statement, principal or condition applies (`Yes`),
//! does not (`No`), or s3dest cannot tell (`Unknown`, with the reasons).
//!
//! `and` is false as soon as one side is false, `or` true as soon as one side is true;
//! otherwise an unknown side makes the result unknown. Both are monotone: replacing an
//! `Unknown` by `Yes` or `No` never changes a `Yes` or `No` result, which is what makes
//! a definite verdict trustworthy while some facts are unknown.

use super::verdict::Uncertainty;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Truth {
    Yes,
    No,
    Unknown(Vec<Uncertainty>),
}

impl Truth {
    pub(crate) fn unknown(why: Uncertainty) -> Self {
        Truth::Unknown(vec![why])
    }

    pub(crate) fn from_bool(b: bool) -> Self {
        if b { Truth::Yes } else { Truth::No }
    }

    pub(crate) fn is_yes(&self) -> bool {
        matches!(self, Truth::Yes)
    }

    pub(crate) fn is_no(&self) -> bool {
        matches!(self, Truth::No)
    }

    /// Why it is unknown; empty when it is known.
    pub(crate) fn reasons(&self) -> &[Uncertainty] {
        match self {
            Truth::Unknown(reasons) => reasons,
            Truth::Yes | Truth::No => &[],
        }
    }

    pub(crate) fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::No, _) | (_, Truth::No) => Truth::No,
            (Truth::Yes, t) | (t, Truth::Yes) => t,
            (Truth::Unknown(a), Truth::Unknown(b)) => Truth::Unknown(merge(a, b)),
        }
    }

    pub(crate) fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
            (Truth::No, t) | (t, Truth::No) => t,
            (Truth::Unknown(a), Truth::Unknown(b)) => Truth::Unknown(merge(a, b)),
        }
    }

    pub(crate) fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            unknown @ Truth::Unknown(_) => unknown,
        }
    }

    /// `and` over all items (true for none); stops at the first `No`.
    pub(crate) fn all(items: impl IntoIterator<Item = Truth>) -> Truth {
        let mut acc = Truth::Yes;
        for t in items {
            acc = acc.and(t);
            if acc.is_no() {
                break;
            }
        }
        acc
    }

    /// `or` over all items (false for none); stops at the first `Yes`.
    pub(crate) fn any(items: impl IntoIterator<Item = Truth>) -> Truth {
        let mut acc = Truth::No;
        for t in items {
            acc = acc.or(t);
            if acc.is_yes() {
                break;
            }
        }
        acc
    }
}

fn merge(mut a: Vec<Uncertainty>, b: Vec<Uncertainty>) -> Vec<Uncertainty> {
    for why in b {
        if !a.contains(&why) {
            a.push(why);
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::Truth;
    use crate::eval::Uncertainty;

    fn u() -> Truth {
        Truth::unknown(Uncertainty::UnknownKey {
            key: "k".to_owned(),
        })
    }

    #[test]
    fn kleene_tables() {
        let (y, n) = (Truth::Yes, Truth::No);
        for (a, b, and, or) in [
            (y.clone(), y.clone(), y.clone(), y.clone()),
            (y.clone(), n.clone(), n.clone(), y.clone()),
            (n.clone(), n.clone(), n.clone(), n.clone()),
            (y.clone(), u(), u(), y.clone()),
            (n.clone(), u(), n.clone(), u()),
            (u(), u(), u(), u()),
        ] {
            assert_eq!(a.clone().and(b.clone()), and, "{a:?} and {b:?}");
            assert_eq!(b.clone().and(a.clone()), and, "{b:?} and {a:?}");
            assert_eq!(a.clone().or(b.clone()), or, "{a:?} or {b:?}");
            assert_eq!(b.clone().or(a.clone()), or, "{b:?} or {a:?}");
        }
        assert_eq!(u().not(), u());
        assert_eq!(Truth::all([]), Truth::Yes);
        assert_eq!(Truth::any([]), Truth::No);
    }
}
