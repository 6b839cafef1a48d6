//! XML rewriting by splicing: roxmltree parses a response and reports the byte range
//! of every element; edits replace, remove or insert whole elements in the original
//! text, so everything the proxy does not touch stays byte for byte as moto sent it.

use std::ops::Range;

pub use roxmltree::{Document, Node};

pub fn parse(text: &str) -> Result<Document<'_>, String> {
    Document::parse(text).map_err(|e| format!("moto sent XML that does not parse: {e}"))
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<name>escaped text</name>`.
pub fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

pub fn children<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

pub fn child<'a, 'input>(node: Node<'a, 'input>, name: &'a str) -> Option<Node<'a, 'input>> {
    children(node, name).next()
}

/// The text of the first child element `name`, entities resolved ("" when empty).
pub fn child_text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or(""))
}

/// Every element called `name`, anywhere in the document.
pub fn descendants<'a, 'input>(
    doc: &'a Document<'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    doc.descendants()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// Edits to apply to the text a document was parsed from. Ranges must not overlap.
#[derive(Debug, Default)]
pub struct Splices {
    edits: Vec<(Range<usize>, String)>,
}

impl Splices {
    pub fn replace(&mut self, node: Node, text: String) {
        self.edits.push((node.range(), text));
    }

    pub fn remove(&mut self, node: Node) {
        self.edits.push((node.range(), String::new()));
    }

    pub fn insert_after(&mut self, node: Node, text: String) {
        let end = node.range().end;
        self.edits.push((end..end, text));
    }

    /// Inserts just before the closing tag of `node` (or replaces `<x/>` by `<x>…</x>`).
    pub fn append_child(&mut self, node: Node, text: String, source: &str) {
        let range = node.range();
        let name = node.tag_name().name();
        let closing = format!("</{name}>");
        if source[range.clone()].ends_with(&closing) {
            let at = range.end - closing.len();
            self.edits.push((at..at, text));
        } else {
            self.edits.push((range, format!("<{name}>{text}</{name}>")));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    pub fn apply(mut self, source: &str) -> String {
        self.edits
            .sort_by_key(|(range, _)| (range.start, range.end));
        let mut out = String::with_capacity(source.len());
        let mut at = 0;
        for (range, text) in self.edits {
            if range.start < at {
                continue; // overlapping edit: the first one wins
            }
            out.push_str(&source[at..range.start]);
            out.push_str(&text);
            at = range.end;
        }
        out.push_str(&source[at..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_keep_everything_else() {
        let source = "<a>\n  <b>1</b>\n  <c>2</c>\n  <d/>\n</a>";
        let doc = parse(source).unwrap();
        let root = doc.root_element();
        let mut edits = Splices::default();
        edits.remove(child(root, "b").unwrap());
        edits.replace(child(root, "c").unwrap(), element("c", "x&y"));
        edits.insert_after(child(root, "c").unwrap(), "<e/>".into());
        edits.append_child(child(root, "d").unwrap(), "<f/>".into(), source);
        edits.append_child(root, "<g/>".into(), source);
        assert_eq!(
            edits.apply(source),
            "<a>\n  \n  <c>x&amp;y</c><e/>\n  <d><f/></d>\n<g/></a>"
        );
    }

    #[test]
    fn text_has_entities_resolved() {
        let doc = parse("<r><ETag>&quot;abc&quot;</ETag><Empty/></r>").unwrap();
        assert_eq!(child_text(doc.root_element(), "ETag"), Some("\"abc\""));
        assert_eq!(child_text(doc.root_element(), "Empty"), Some(""));
        assert_eq!(child_text(doc.root_element(), "Missing"), None);
    }
}
