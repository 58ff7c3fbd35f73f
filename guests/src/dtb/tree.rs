//! An owned index of a checked host DTB, read with the `fdt` crate.
//!
//! Only blobs that passed [`super::check::check`] reach [`Tree::read`], so the
//! `fdt` calls used here (`find_node("/")`, `children`, `properties`) see
//! the well-formed, NOP-free structure they handle without panicking.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use fdt::node::FdtNode;
use fdt::Fdt;

/// One property: name and raw value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prop<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
}

/// One node; `nodes[0]` is the root.
#[derive(Debug)]
pub(crate) struct Node<'a> {
    /// The unit name, `name@unit-address` ("" for the root).
    pub name: &'a str,
    pub parent: Option<usize>,
    pub props: Vec<Prop<'a>>,
    pub children: Vec<usize>,
}

/// All nodes in DTB order, with a phandle index.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    pub nodes: Vec<Node<'a>>,
    pub phandles: BTreeMap<u32, usize>,
}

/// The first big-endian cell of a property value.
pub(crate) fn cell(v: &[u8]) -> Option<u32> {
    let s = v.get(..4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Tree<'a> {
    /// Indexes every node of `fdt`. Returns the phandle value of the first
    /// duplicate, if two nodes claim the same one.
    pub fn read(fdt: &Fdt<'a>) -> Result<Tree<'a>, u32> {
        let mut t = Tree {
            nodes: Vec::new(),
            phandles: BTreeMap::new(),
        };
        if let Some(root) = fdt.find_node("/") {
            t.add(root, None, "")?;
        }
        Ok(t)
    }

    fn add(&mut self, n: FdtNode<'_, 'a>, parent: Option<usize>, name: &'a str) -> Result<(), u32> {
        let idx = self.nodes.len();
        let props: Vec<Prop<'a>> = n
            .properties()
            .map(|p| Prop {
                name: p.name,
                value: p.value,
            })
            .collect();
        for p in &props {
            if p.name == "phandle" || p.name == "linux,phandle" {
                if let Some(ph) = cell(p.value) {
                    match self.phandles.get(&ph) {
                        Some(&other) if other != idx => return Err(ph),
                        _ => {
                            self.phandles.insert(ph, idx);
                        }
                    }
                }
            }
        }
        self.nodes.push(Node {
            name,
            parent,
            props,
            children: Vec::new(),
        });
        if let Some(p) = parent {
            self.nodes[p].children.push(idx);
        }
        for c in n.children() {
            self.add(c, Some(idx), c.name)?;
        }
        Ok(())
    }

    /// The raw value of property `name` of node `n`.
    pub fn prop(&self, n: usize, name: &str) -> Option<&'a [u8]> {
        self.nodes
            .get(n)?
            .props
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value)
    }

    /// The first cell of property `name`.
    pub fn prop_u32(&self, n: usize, name: &str) -> Option<u32> {
        cell(self.prop(n, name)?)
    }

    /// The strings of a string-list property (`compatible`, ...).
    pub fn strings(&self, n: usize, name: &str) -> impl Iterator<Item = &'a str> {
        self.prop(n, name)
            .unwrap_or(&[])
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .filter_map(|s| core::str::from_utf8(s).ok())
    }

    /// The first string of property `name`.
    pub fn prop_str(&self, n: usize, name: &str) -> Option<&'a str> {
        self.strings(n, name).next()
    }

    /// The name without its unit address.
    pub fn base_name(&self, n: usize) -> &'a str {
        let name = self.nodes.get(n).map_or("", |x| x.name);
        name.split('@').next().unwrap_or(name)
    }

    /// The node's full path ("/" for the root).
    pub fn path(&self, n: usize) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(n);
        while let Some(i) = cur {
            let Some(node) = self.nodes.get(i) else { break };
            if node.parent.is_some() {
                parts.push(node.name);
            }
            cur = node.parent;
        }
        if parts.is_empty() {
            return String::from("/");
        }
        let mut s = String::new();
        for p in parts.iter().rev() {
            s.push('/');
            s.push_str(p);
        }
        s
    }

    /// The node at an absolute `path`; a component without `@` also matches
    /// a node name with a unit address (as in devicetree path lookups).
    pub fn find_path(&self, path: &str) -> Option<usize> {
        let mut cur = 0usize;
        self.nodes.first()?;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            let children = &self.nodes.get(cur)?.children;
            cur = *children
                .iter()
                .find(|&&c| self.nodes[c].name == comp)
                .or_else(|| {
                    if comp.contains('@') {
                        None
                    } else {
                        children.iter().find(|&&c| self.base_name(c) == comp)
                    }
                })?;
        }
        Some(cur)
    }
}
