//! The spec's YAML as a tree of nodes with byte ranges, read from the parser's events:
//! where each mapping entry and list item starts and ends. `recover` uses it to tell which
//! part of the file a deserializer error is in, and to blank that part out.
//!
//! It is built only when the deserializer has refused the file, from the same parser
//! (granit-parser, which serde-saphyr reads with), without recursion and within the limits
//! the deserializer has: a tree cut short by a syntax error or a limit holds what came
//! before it, and its unfinished nodes are never removed.

use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};

use crate::raw::{MAX_DEPTH, MAX_NODES};

pub(crate) type NodeId = usize;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `key:` alone, `~` or `null`.
    Null,
    Scalar,
    Alias,
    List,
    Mapping,
}

/// Where a node sits in its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Root,
    /// The key of a mapping entry.
    Key,
    /// The value of the mapping entry whose key is the node `key`.
    Value {
        key: NodeId,
    },
    /// An item of a list; `from` is where the text before it ends (the previous item, or
    /// the list's start).
    Item {
        from: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Written `{...}` or `[...]`.
    pub flow: bool,
    /// Byte offset of the node's first character.
    pub start: usize,
    /// Byte offset after its last character; `None` when the tree stopped inside it.
    pub end: Option<usize>,
    /// Byte offset of what follows it in the stream (its next sibling, or its parent's
    /// end); `None` when the tree stopped before.
    pub after: Option<usize>,
    pub parent: Option<NodeId>,
    pub place: Place,
    /// The text of a scalar key (empty for other nodes).
    pub text: String,
    pub children: Vec<NodeId>,
}

#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// Where the parser stopped before the end of the first document (a syntax error or
    /// one of the limits), if it did.
    pub stopped_at: Option<usize>,
}

/// A mapping being read: its node, and the key whose value comes next.
struct Open {
    id: NodeId,
    key: Option<NodeId>,
}

impl Tree {
    /// The tree of the first document of `text`.
    pub(crate) fn read(text: &str) -> Tree {
        let mut options = Options::default();
        options.emit_comments = false;
        options.flow_nesting_limit = MAX_DEPTH;
        options.block_nesting_limit = MAX_DEPTH;
        let mut tree = Tree::default();
        let mut open: Vec<Open> = Vec::new();
        // Nodes finished since the last event, waiting for where the next one starts.
        let mut finished: Vec<NodeId> = Vec::new();
        let mut last_end = 0;
        let mut documents = 0;
        for event in Parser::new_from_str_with_options(text, options) {
            let (event, span) = match event {
                Ok(event) => event,
                Err(error) => {
                    let at = error.marker().byte_offset().unwrap_or(last_end);
                    tree.stopped_at = Some(at);
                    // A key whose value the error is in: the value is unfinished, and can
                    // still be found (`bucket: x` and, indented more, a line that ends it).
                    if open.last().is_some_and(|o| o.key.is_some()) {
                        tree.push(
                            &mut open,
                            Kind::Scalar,
                            false,
                            last_end,
                            last_end,
                            String::new(),
                        );
                    }
                    return tree;
                }
            };
            let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
            else {
                tree.stopped_at = Some(last_end);
                return tree;
            };
            if tree.nodes.len() >= MAX_NODES {
                tree.stopped_at = Some(start);
                return tree;
            }
            let node = match event {
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        return tree;
                    }
                    continue;
                }
                Event::StreamEnd | Event::DocumentEnd => {
                    settle(&mut tree, &mut finished, start);
                    continue;
                }
                Event::Scalar(value, style, ..) => {
                    let null = style == ScalarStyle::Plain
                        && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                    let kind = if null { Kind::Null } else { Kind::Scalar };
                    Some((kind, false, value.into_owned()))
                }
                Event::Alias(_) => Some((Kind::Alias, false, String::new())),
                Event::SequenceStart(style, ..) => {
                    Some((Kind::List, style == StructureStyle::Flow, String::new()))
                }
                Event::MappingStart(style, ..) => {
                    Some((Kind::Mapping, style == StructureStyle::Flow, String::new()))
                }
                Event::SequenceEnd | Event::MappingEnd => None,
                // Presentation only: not nodes, and not where a node's text ends.
                _ => continue,
            };
            settle(&mut tree, &mut finished, start);
            match node {
                Some((kind, flow, value)) => {
                    let id = tree.push(&mut open, kind, flow, start, last_end, value);
                    if matches!(kind, Kind::List | Kind::Mapping) {
                        open.push(Open { id, key: None });
                    } else {
                        tree.nodes[id].end = Some(end);
                        finished.push(id);
                    }
                }
                None => {
                    if let Some(closed) = open.pop() {
                        tree.nodes[closed.id].end = Some(end);
                        finished.push(closed.id);
                    }
                }
            }
            last_end = end;
        }
        tree
    }

    /// Adds a node under the innermost open collection.
    fn push(
        &mut self,
        open: &mut [Open],
        kind: Kind,
        flow: bool,
        start: usize,
        last_end: usize,
        value: String,
    ) -> NodeId {
        let id = self.nodes.len();
        let (parent, place) = match open.last_mut() {
            None => (None, Place::Root),
            Some(parent) => {
                let place = match self.nodes[parent.id].kind {
                    Kind::Mapping => match parent.key.take() {
                        Some(key) => Place::Value { key },
                        None => {
                            parent.key = Some(id);
                            Place::Key
                        }
                    },
                    _ => Place::Item { from: last_end },
                };
                self.nodes[parent.id].children.push(id);
                (Some(parent.id), place)
            }
        };
        let text = if place == Place::Key {
            value
        } else {
            String::new()
        };
        self.nodes.push(Node {
            kind,
            flow,
            start,
            end: None,
            after: None,
            parent,
            place,
            text,
            children: Vec::new(),
        });
        id
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The key of a mapping entry's value.
    pub(crate) fn key_of(&self, id: NodeId) -> Option<&Node> {
        match self.nodes.get(id)?.place {
            Place::Value { key } => self.nodes.get(key),
            _ => None,
        }
    }

    /// The text to blank to take a node out of its parent: the whole entry (key and value)
    /// of a mapping value, or a list item with its `-` (block) or its `,` (flow). Blanking
    /// up to where the next node starts keeps a flow collection's commas right: `{a: 1, b: 2}`
    /// loses `a: 1, ` or `b: 2`, both of which leave valid YAML.
    pub(crate) fn removal(&self, id: NodeId) -> Option<Range<usize>> {
        let node = self.nodes.get(id)?;
        let parent_flow = node.parent.is_some_and(|p| self.nodes[p].flow);
        let range = match node.place {
            Place::Root | Place::Key => return None,
            Place::Value { key } => self.nodes[key].start..node.after?,
            Place::Item { .. } if parent_flow => node.start..node.after?,
            Place::Item { from } => from..node.end?,
        };
        (range.start < range.end).then_some(range)
    }

    /// Where an entry or item's text may be: [`Self::removal`] when the node is finished,
    /// and up to the end of the text when the tree stopped inside it.
    fn extent(&self, id: NodeId) -> Option<Range<usize>> {
        let node = self.nodes.get(id)?;
        let parent_flow = node.parent.is_some_and(|p| self.nodes[p].flow);
        let end = node.after.or(node.end).unwrap_or(usize::MAX);
        match node.place {
            Place::Root | Place::Key => None,
            Place::Value { key } => Some(self.nodes[key].start..end),
            Place::Item { .. } if parent_flow => Some(node.start..end),
            Place::Item { from } => Some(from..node.end.unwrap_or(usize::MAX)),
        }
    }

    /// The innermost entry or item whose text holds byte `offset` (one the tree stopped
    /// in, too: it cannot be removed, but what it is helps say what is wrong).
    pub(crate) fn locate(&self, offset: usize) -> Option<NodeId> {
        let mut found: Option<(usize, NodeId)> = None;
        for id in 0..self.nodes.len() {
            let Some(range) = self.extent(id) else {
                continue;
            };
            if range.contains(&offset) {
                let depth = self.ancestors(id).count();
                if found.is_none_or(|(d, _)| depth > d) {
                    found = Some((depth, id));
                }
            }
        }
        found.map(|(_, id)| id)
    }

    /// The node, then its parent, up to the root.
    pub(crate) fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(Some(id), |&id| self.nodes.get(id).and_then(|n| n.parent))
    }

    /// The entries and items from the top of the document down to `id` (itself last).
    pub(crate) fn path(&self, id: NodeId) -> Vec<NodeId> {
        let mut path: Vec<NodeId> = self
            .ancestors(id)
            .filter(|&a| !matches!(self.nodes[a].place, Place::Root | Place::Key))
            .collect();
        path.reverse();
        path
    }

    /// The values of a mapping's entries, in file order.
    pub(crate) fn values(&self, mapping: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .get(mapping)
            .map(|n| n.children.as_slice())
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|&c| matches!(self.nodes[c].place, Place::Value { .. }))
    }

    /// The keys of a mapping, in file order.
    pub(crate) fn keys(&self, mapping: NodeId) -> impl Iterator<Item = &str> + '_ {
        self.values(mapping)
            .filter_map(|v| self.key_of(v).map(|k| k.text.as_str()))
    }

    /// The value of the top-level entry `key`.
    pub(crate) fn top_level(&self, key: &str) -> Option<NodeId> {
        let root = self.nodes.iter().position(|n| n.place == Place::Root)?;
        self.values(root)
            .find(|&v| self.key_of(v).is_some_and(|k| k.text == key))
    }

    /// The entry before `id` in its mapping.
    pub(crate) fn previous_entry(&self, id: NodeId) -> Option<NodeId> {
        let parent = self.nodes.get(id)?.parent?;
        self.values(parent).take_while(|&v| v != id).last()
    }
}

/// Tells the nodes finished since the last event where the next one starts.
fn settle(tree: &mut Tree, finished: &mut Vec<NodeId>, start: usize) {
    for id in finished.drain(..) {
        tree.nodes[id].after = Some(start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed(text: &str, offset: usize) -> String {
        let tree = Tree::read(text);
        let id = tree.locate(offset).expect("a node there");
        let range = tree.removal(id).expect("removable");
        text[range].to_owned()
    }

    #[test]
    fn entries_and_items_are_removed_whole() {
        let text =
            "a: 1\nb:\n  c: [x, [y], z]\n  d: {e: 1, f: 2}\ng:\n  - h\n  - i: 1\n    j: 2\nk:\n";
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(removed(text, at("a")), "a: 1\n");
        assert_eq!(removed(text, at("[y]")), "[y], ");
        assert_eq!(removed(text, at("z")), "z");
        assert_eq!(removed(text, at("e")), "e: 1, ");
        assert_eq!(removed(text, at("f")), "f: 2");
        assert_eq!(removed(text, at("h")), "- h");
        assert_eq!(removed(text, at("j")), "j: 2\n");
        assert_eq!(removed(text, at("i")), "i: 1\n    ");
        assert_eq!(removed(text, at("k")), "k:\n");
        let tree = Tree::read(text);
        assert_eq!(tree.stopped_at, None);
        let b = tree.top_level("b").unwrap();
        assert_eq!(tree.keys(b).collect::<Vec<_>>(), ["c", "d"]);
        let d = tree.values(b).nth(1).unwrap();
        assert_eq!(tree.previous_entry(d), tree.values(b).next());
        let f = tree.locate(at("f")).unwrap();
        let keys: Vec<&str> = tree
            .path(f)
            .into_iter()
            .filter_map(|n| tree.key_of(n).map(|k| k.text.as_str()))
            .collect();
        assert_eq!(keys, ["b", "d", "f"]);
    }

    #[test]
    fn a_tree_cut_short_keeps_what_came_before() {
        let text = "a: 1\nb: [x,\nc: d\n";
        let tree = Tree::read(text);
        assert!(tree.stopped_at.is_some());
        assert_eq!(removed(text, 0), "a: 1\n");
        // `b` never ended: it is found, but cannot be removed.
        let b = tree.locate(text.find('b').unwrap()).unwrap();
        assert_eq!(tree.key_of(b).map(|k| k.text.as_str()), Some("b"));
        assert_eq!(tree.removal(b), None);
    }
}
