//! The checker: every mistake a workflow model can hold, as diagnostics with stable codes.
//!
//! [`check`] builds an [`Index`] of the workflow once (blocks, variables and types by name,
//! each block's effective ports with parsed types, connections by target and source), then
//! runs the families of checks, one module each:
//! - `workflow`: named types, variables, the execution config's enumerations, ill-typed keys
//!   and duplicate ids at the workflow level;
//! - `blocks`: a block's kind (block type, language) and properties;
//! - `ports`: a block's port declarations (names, types, defaults, the catalogue, language
//!   conventions);
//! - `connections`: both ends of each connection, its type, inputs fed twice or not at all,
//!   unused outputs;
//! - `graph`: cycles;
//! - `prompts` and `templates`: AI prompts and hybrid templates;
//! - `settings`: run settings the engine refuses (shared with the engine's planner).
//!
//! Architecture invariant: the per-block checks ([`check_block`]) read only that block and the
//! [`Index`]; the per-connection checks only that connection and the index. Only the index and
//! the cycle search look at the whole workflow, both linear in its size, so a language server
//! can rebuild the index and re-check just the blocks an edit touched.
//!
//! Architecture invariant: a block's local checks (kind, properties, ports, prompts,
//! templates: [`check_block_local`]) read only the block, the catalogue and the [`Scope`]
//! (named types, variable names), so [`check_incremental`] reuses them, moved, for a block
//! whose lowering was reused while the scope is unchanged (see [`CheckCache`]).
//!
//! Decisions (documented in `docs/architecture.md`):
//! - a visual block's ports are the catalogue's; the ports it declares must be catalogue ports
//!   whose types agree (`unknown-port`, `catalog-port-type`); undeclared catalogue ports are
//!   still usable as connection ends;
//! - plugin blocks are not checked against a definition (no plugin manifests yet): their
//!   properties are not checked and connections to ports they do not declare are accepted;
//! - an input is fed when a connection, the variable of its name or its `default` feeds it,
//!   when it is `required: false`, or when its type is `Optional[T]` (it then gets null);
//! - `unused-output` is a hint only on a block some of whose outputs are used: the outputs of
//!   a block nothing consumes are the workflow's results.

mod blocks;
mod connections;
pub mod diagnostics;
mod graph;
mod ports;
mod prompts;
pub mod settings;
mod templates;
mod workflow;

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::catalog::{self, BlockDef, LanguageDef, PortDef};
use crate::diagnostic::Diagnostic;
use crate::model::{Block, BlockKind, Connection, Document, Port, Span, Variable, Workflow};
use crate::syntax::lower::BlockRef;
use crate::syntax::shift::Shift;
use crate::types::{parse_type, Type, TypeError};

/// Checks a whole document; the diagnostics come sorted by their primary span.
pub fn check(doc: &Document) -> Vec<Diagnostic> {
    check_incremental(doc, &[], None).0
}

/// [`check`], reusing the local checks of `previous` (the cache of an earlier check) for the
/// blocks that are the same lowering cache entries (`block_refs`, one per block of `doc`, from
/// [`crate::syntax::lower::Lowered`]); returns the cache for the next check.
///
/// Architecture invariant: the diagnostics equal [`check`]`(doc)` whatever `previous` holds
/// (property-tested in `dsl/tests/incremental.rs`); see [`CheckCache`].
pub(crate) fn check_incremental(
    doc: &Document,
    block_refs: &[Option<BlockRef>],
    previous: Option<&CheckCache>,
) -> (Vec<Diagnostic>, CheckCache) {
    let index = Index::build(&doc.workflow);
    let scope = ScopeKey::of(&doc.workflow);
    let previous = previous.filter(|previous| previous.scope == scope);
    let block_refs = if block_refs.len() == index.blocks.len() {
        block_refs
    } else {
        &[]
    };
    let mut next = CheckCache {
        scope,
        blocks: FxHashMap::with_capacity_and_hasher(block_refs.len(), Default::default()),
    };
    let mut out = Vec::new();
    workflow::check(doc, &index, &mut out);
    for (block_idx, block) in index.blocks.iter().enumerate() {
        let block_ref = block_refs.get(block_idx).and_then(Option::as_ref);
        let local = match block_ref {
            Some(block_ref) => next.local_checks(previous, block_ref, || {
                check_block_local(index.scope(), block)
            }),
            None => check_block_local(index.scope(), block),
        };
        block_checks(&index, block_idx, local, &mut out);
    }
    for conn_idx in 0..index.connections.len() {
        connections::check_connection(&index, conn_idx, &mut out);
    }
    graph::check_cycles(&index, &mut out);
    out.sort_by(|a, b| {
        (a.span().start, a.span().end, a.code).cmp(&(b.span().start, b.span().end, b.code))
    });
    (out, next)
}

/// Runs every per-block check of block number `block_idx`; the results depend only on that
/// block and the index.
pub fn check_block(index: &Index, block_idx: usize, out: &mut Vec<Diagnostic>) {
    let Some(block) = index.blocks.get(block_idx) else {
        return;
    };
    block_checks(
        index,
        block_idx,
        check_block_local(index.scope(), block),
        out,
    );
}

/// Block number `block_idx`'s diagnostics, given its local ones: those run in their order.
fn block_checks(index: &Index, block_idx: usize, local: LocalChecks, out: &mut Vec<Diagnostic>) {
    let LocalChecks {
        mut diagnostics,
        split,
    } = local;
    let mut after = diagnostics.split_off(split);
    out.append(&mut diagnostics);
    connections::check_block_inputs(index, block_idx, out);
    connections::check_block_outputs(index, block_idx, out);
    out.append(&mut after);
}

/// The local checks of the blocks of one check, for checking an edit of the document: the
/// blocks whose lowering is reused ([`BlockRef`]) reuse their local diagnostics too.
///
/// Invariant: a block's local diagnostics ([`check_block_local`]) depend only on the block,
/// the catalogue and the [`Scope`], whose answers depend only on the [`ScopeKey`]. A block
/// that is the same lowering cache entry as a block checked before is that block moved by
/// some distance, so, under the same scope key, its local diagnostics are the earlier ones
/// moved by that distance. The cache is dropped whole when the scope key changes (an edit of a
/// type declaration or a variable's name); the checks that read other blocks or connections
/// (inputs fed, outputs used, connections, cycles, duplicates) are always run again.
#[derive(Clone, Debug, Default)]
pub struct CheckCache {
    scope: ScopeKey,
    /// By [`BlockRef::id`].
    blocks: FxHashMap<usize, Arc<CachedChecks>>,
}

/// One block's local diagnostics, with spans as of when it was checked.
#[derive(Debug)]
struct CachedChecks {
    /// The lowering cache entry, as the block was then (holding it keeps its id unique).
    block: BlockRef,
    local: LocalChecks,
}

impl CheckCache {
    /// The number of blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// True when no block is held.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// How many of this cache's blocks were taken from `previous` (not checked again).
    #[cfg(test)]
    pub(crate) fn reused_from(&self, previous: &CheckCache) -> usize {
        self.blocks
            .iter()
            .filter(|(id, cached)| {
                previous
                    .blocks
                    .get(id)
                    .is_some_and(|old| Arc::ptr_eq(old, cached))
            })
            .count()
    }

    /// The local checks of the block `block_ref`, from this cache, else `previous`, else
    /// `check`ed now; remembered here.
    fn local_checks(
        &mut self,
        previous: Option<&CheckCache>,
        block_ref: &BlockRef,
        check: impl FnOnce() -> LocalChecks,
    ) -> LocalChecks {
        let id = block_ref.id();
        let found = self
            .blocks
            .get(&id)
            .or_else(|| previous?.blocks.get(&id))
            .cloned();
        match found {
            Some(cached) => {
                let mut local = cached.local.clone();
                let delta = block_ref.delta() - cached.block.delta();
                if delta != 0 {
                    local.diagnostics.shift(delta);
                }
                self.blocks.entry(id).or_insert(cached);
                local
            }
            None => {
                let local = check();
                self.blocks.insert(
                    id,
                    Arc::new(CachedChecks {
                        block: block_ref.clone(),
                        local: local.clone(),
                    }),
                );
                local
            }
        }
    }
}

/// Everything of the workflow the [`Scope`] answers from: the type declarations (names and
/// type texts) and the variable names, in order.
#[derive(Clone, Debug, Default, PartialEq)]
struct ScopeKey {
    types: Vec<(String, String)>,
    variables: Vec<String>,
}

impl ScopeKey {
    fn of(workflow: &Workflow) -> ScopeKey {
        ScopeKey {
            types: workflow
                .types
                .iter()
                .flatten()
                .map(|decl| (decl.name.value.clone(), decl.ty.text.clone()))
                .collect(),
            variables: workflow
                .variables
                .iter()
                .flatten()
                .map(|variable| variable.name.value.clone())
                .collect(),
        }
    }
}

/// The diagnostics of a block's local checks: `diagnostics[..split]` come before its
/// connection checks (kind, properties, ports), the rest after (prompts, templates).
#[derive(Clone, Debug, Default)]
pub(crate) struct LocalChecks {
    diagnostics: Vec<Diagnostic>,
    split: usize,
}

/// The checks of a block that read only the block, the catalogue and the [`Scope`] (named
/// types, variable names): its kind, properties, port declarations, prompts and templates.
fn check_block_local(scope: Scope, block: &Block) -> LocalChecks {
    let mut diagnostics = Vec::new();
    blocks::check(block, &mut diagnostics);
    ports::check(scope, block, &mut diagnostics);
    let split = diagnostics.len();
    prompts::check(scope, block, &mut diagnostics);
    templates::check(scope, block, &mut diagnostics);
    LocalChecks { diagnostics, split }
}

/// One port of a block as the checks see it: declared, from the catalogue, or both.
#[derive(Clone, Debug)]
pub struct PortInfo<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its type; `None` when the declared type does not parse.
    pub ty: Option<Rc<Type>>,
    /// The declaration, when the block declares the port.
    pub decl: Option<&'a Port>,
    /// The catalogue's port, for a visual block (or a language's special output).
    pub def: Option<&'static PortDef>,
}

impl PortInfo<'_> {
    /// Where to point at the port: its declaration's name, else `fallback` (the block).
    pub fn span_or(&self, fallback: Span) -> Span {
        self.decl.map_or(fallback, |decl| decl.span)
    }
}

/// A block's effective ports.
#[derive(Clone, Debug, Default)]
pub struct BlockPorts<'a> {
    /// Inputs: declared ones first, then undeclared catalogue ones.
    pub inputs: Vec<PortInfo<'a>>,
    /// Outputs: declared ones first, then undeclared catalogue (or special) ones.
    pub outputs: Vec<PortInfo<'a>>,
    /// True when the block may have ports nobody declared (plugin blocks, visual blocks of an
    /// unknown type): connections to unknown ports are then not reported.
    pub open: bool,
}

impl<'a> BlockPorts<'a> {
    /// The input named `name`.
    pub fn input(&self, name: &str) -> Option<&PortInfo<'a>> {
        self.inputs.iter().find(|p| p.name == name)
    }

    /// The output named `name`.
    pub fn output(&self, name: &str) -> Option<&PortInfo<'a>> {
        self.outputs.iter().find(|p| p.name == name)
    }
}

/// What the checks need to know about the whole workflow, built once in linear time.
pub struct Index<'a> {
    /// The workflow.
    pub workflow: &'a Workflow,
    /// Its blocks, in order.
    pub blocks: &'a [Block],
    /// Its connections, in order.
    pub connections: &'a [Connection],
    /// Block number by id (the first block of an id).
    pub block_by_id: FxHashMap<&'a str, usize>,
    /// Variables by name (the first of a name).
    pub variables: FxHashMap<&'a str, &'a Variable>,
    /// Named types by name (the first of a name); `None` when the type does not parse.
    pub types: FxHashMap<&'a str, Option<Type>>,
    /// Each block's effective ports, by block number, made on first use ([`Index::ports`]):
    /// the checks read every block's, an editor request only the few it looks at.
    ports: Vec<OnceCell<BlockPorts<'a>>>,
    /// Connections into each `(block number, input)`, in order.
    pub incoming: FxHashMap<(usize, &'a str), Vec<usize>>,
    /// The `(block number, output)` pairs some connection reads.
    pub consumed: FxHashSet<(usize, &'a str)>,
    /// The type strings parsed so far (see [`Index::parse_type`]).
    parsed_types: ParsedTypes,
}

/// Type strings parsed once each: a workflow spells its port types a handful of ways
/// (`List[Path]`, `Integer`), and the checks read every port's type several times. The types
/// are shared, not copied, between the ports that spell them alike.
///
/// Invariant: an entry is [`parse_type`] of its key, which depends on the text alone.
#[derive(Default)]
struct ParsedTypes {
    by_text: RefCell<FxHashMap<Box<str>, ParsedType>>,
}

/// What [`parse_type`] made of one type string, shared.
type ParsedType = Result<Rc<Type>, TypeError>;

impl ParsedTypes {
    /// [`parse_type`]`(text)`, parsed on the first call for `text`.
    fn parse(&self, text: &str) -> ParsedType {
        if let Some(parsed) = self.by_text.borrow().get(text) {
            return parsed.clone();
        }
        let parsed = parse_type(text).map(Rc::new);
        self.by_text
            .borrow_mut()
            .insert(text.into(), parsed.clone());
        parsed
    }
}

const EMPTY_BLOCKS: &[Block] = &[];
const EMPTY_CONNECTIONS: &[Connection] = &[];

impl<'a> Index<'a> {
    /// Indexes `workflow`.
    pub fn build(workflow: &'a Workflow) -> Index<'a> {
        let blocks = workflow.blocks.as_deref().unwrap_or(EMPTY_BLOCKS);
        let connections = workflow.connections.as_deref().unwrap_or(EMPTY_CONNECTIONS);
        let mut block_by_id = FxHashMap::with_capacity_and_hasher(blocks.len(), Default::default());
        for (i, block) in blocks.iter().enumerate() {
            block_by_id.entry(block.id.value.as_str()).or_insert(i);
        }
        let mut variables = FxHashMap::default();
        for variable in workflow.variables.iter().flatten() {
            variables
                .entry(variable.name.value.as_str())
                .or_insert(variable);
        }
        let parsed_types = ParsedTypes::default();
        let mut types = FxHashMap::default();
        for decl in workflow.types.iter().flatten() {
            types.entry(decl.name.value.as_str()).or_insert_with(|| {
                parsed_types
                    .parse(&decl.ty.text)
                    .ok()
                    .map(Rc::unwrap_or_clone)
            });
        }
        let ports = blocks.iter().map(|_| OnceCell::new()).collect();
        let mut incoming: FxHashMap<(usize, &str), Vec<usize>> = FxHashMap::default();
        let mut consumed = FxHashSet::default();
        for (conn_idx, conn) in connections.iter().enumerate() {
            if let Some(&target) = block_by_id.get(conn.target_block.value.as_str()) {
                incoming
                    .entry((target, conn.target_port.value.as_str()))
                    .or_default()
                    .push(conn_idx);
            }
            if let Some(&source) = block_by_id.get(conn.source_block.value.as_str()) {
                consumed.insert((source, conn.source_port.value.as_str()));
            }
        }
        Index {
            workflow,
            blocks,
            connections,
            block_by_id,
            variables,
            types,
            ports,
            incoming,
            consumed,
            parsed_types,
        }
    }

    /// The effective ports of block number `block`.
    pub fn ports(&self, block: usize) -> Option<&BlockPorts<'a>> {
        let cell = self.ports.get(block)?;
        Some(cell.get_or_init(|| block_ports(&self.blocks[block], &self.parsed_types)))
    }

    /// The effective ports of every block, in order.
    pub fn all_ports(&self) -> impl Iterator<Item = &BlockPorts<'a>> {
        (0..self.blocks.len()).filter_map(|i| self.ports(i))
    }

    /// [`parse_type`]`(text)`, parsed once per distinct `text` for the index's lifetime.
    pub fn parse_type(&self, text: &str) -> Result<Rc<Type>, TypeError> {
        self.parsed_types.parse(text)
    }

    /// Resolves a declared type name (for [`crate::types::is_assignable`]).
    pub fn named_type(&self, name: &str) -> Option<Type> {
        self.types.get(name).cloned().flatten()
    }

    /// True when `name` is a declared type.
    pub fn is_declared_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// The part of the index the per-block local checks may read (see [`Scope`]).
    pub fn scope(&self) -> Scope<'_, 'a> {
        Scope { index: self }
    }

    /// True when `from` may flow into `to` in this workflow.
    pub fn assignable(&self, from: &Type, to: &Type) -> bool {
        crate::types::is_assignable(from, to, &|name| self.named_type(name))
    }

    /// The block with id `id` and its number.
    pub fn block(&self, id: &str) -> Option<(usize, &'a Block)> {
        let idx = *self.block_by_id.get(id)?;
        Some((idx, self.blocks.get(idx)?))
    }
}

/// What the block-local checks ([`check_block_local`]) may know of the workflow besides
/// their block: its named types (names and definitions) and the names of its variables.
///
/// Invariant: every answer is a function of the workflow's type declarations (names and type
/// texts, in order) and its variable names (in order), which [`ScopeKey`] records, so a block's
/// local diagnostics can be reused while its lowering and that key are unchanged
/// ([`CheckCache`]). Do not widen it to anything else of the workflow (other blocks,
/// connections, a variable's value or span) without adding that to [`ScopeKey`].
#[derive(Clone, Copy)]
pub struct Scope<'i, 'a> {
    index: &'i Index<'a>,
}

impl Scope<'_, '_> {
    /// [`parse_type`]`(text)`; depends on the text alone.
    pub fn parse_type(&self, text: &str) -> Result<Rc<Type>, TypeError> {
        self.index.parse_type(text)
    }

    /// Resolves a declared type name.
    pub fn named_type(&self, name: &str) -> Option<Type> {
        self.index.named_type(name)
    }

    /// True when `name` is a declared type.
    pub fn is_declared_type(&self, name: &str) -> bool {
        self.index.is_declared_type(name)
    }

    /// The declared type names (for "did you mean").
    pub fn type_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.index.types.keys().copied()
    }

    /// True when a variable is named `name`.
    pub fn has_variable(&self, name: &str) -> bool {
        self.index.variables.contains_key(name)
    }

    /// The variable names (for "did you mean").
    pub fn variable_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.index.variables.keys().copied()
    }
}

/// The catalogue definition of a visual block, if its type is known.
pub fn block_def(block: &Block) -> Option<&'static BlockDef> {
    match &block.kind {
        BlockKind::Visual { block_type, .. } => catalog::lookup(&block_type.value),
        _ => None,
    }
}

/// The language definition of a code block, if its language is known.
pub fn language_def(block: &Block) -> Option<&'static LanguageDef> {
    match &block.kind {
        BlockKind::Code { language, .. } => catalog::language(&language.value),
        _ => None,
    }
}

fn declared<'a>(
    ports: &'a Option<Vec<Port>>,
    defs: &'static [PortDef],
    parsed_types: &ParsedTypes,
    out: &mut Vec<PortInfo<'a>>,
) {
    for port in ports.iter().flatten() {
        if out.iter().any(|p| p.name == port.name.value) {
            continue;
        }
        out.push(PortInfo {
            name: &port.name.value,
            ty: parsed_types.parse(&port.ty.text).ok(),
            decl: Some(port),
            def: defs.iter().find(|d| d.name == port.name.value),
        });
    }
    for def in defs {
        if !out.iter().any(|p| p.name == def.name) {
            out.push(PortInfo {
                name: def.name,
                ty: Some(Rc::new(def.ty.clone())),
                decl: None,
                def: Some(def),
            });
        }
    }
}

fn block_ports<'a>(block: &'a Block, parsed_types: &ParsedTypes) -> BlockPorts<'a> {
    let mut ports = BlockPorts::default();
    let (input_defs, output_defs, open): (&'static [PortDef], &'static [PortDef], bool) =
        match &block.kind {
            BlockKind::Visual { .. } => match block_def(block) {
                Some(def) => (&def.inputs, &def.outputs, false),
                None => (&[], &[], true),
            },
            BlockKind::Code { .. } => match language_def(block) {
                Some(def) => (&[], &def.special_outputs, false),
                None => (&[], &[], false),
            },
            BlockKind::Plugin { .. } => (&[], &[], true),
            BlockKind::Hybrid { .. } | BlockKind::Ai { .. } => (&[], &[], false),
        };
    declared(&block.inputs, input_defs, parsed_types, &mut ports.inputs);
    declared(
        &block.outputs,
        output_defs,
        parsed_types,
        &mut ports.outputs,
    );
    ports.open = open;
    ports
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod examples;
