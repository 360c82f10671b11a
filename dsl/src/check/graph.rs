//! Cycle detection: strongly connected components (Tarjan, iterative) over the blocks and
//! their connections, then one concrete loop named per component, in linear time.

use std::collections::VecDeque;

use super::diagnostics as d;
use super::Index;
use crate::diagnostic::Diagnostic;

/// Reports one `cycle` per strongly connected component with a loop.
pub(super) fn check_cycles(index: &Index, out: &mut Vec<Diagnostic>) {
    let n = index.blocks.len();
    let mut edges: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (conn_idx, conn) in index.connections.iter().enumerate() {
        let source = index.block_by_id.get(conn.source_block.value.as_str());
        let target = index.block_by_id.get(conn.target_block.value.as_str());
        if let (Some(&source), Some(&target)) = (source, target) {
            edges[source].push((target, conn_idx));
        }
    }
    for component in strongly_connected(&edges) {
        let start = component.iter().copied().min().unwrap_or_default();
        let looped = component.len() > 1 || edges[start].iter().any(|(t, _)| *t == start);
        if !looped {
            continue;
        }
        let mut in_component = vec![false; n];
        for &block in &component {
            in_component[block] = true;
        }
        let Some(path) = shortest_loop(&edges, &in_component, start) else {
            continue;
        };
        let mut names: Vec<&str> = vec![&index.blocks[start].id.value];
        let mut spans = Vec::new();
        for (block, conn) in &path {
            names.push(&index.blocks[*block].id.value);
            spans.push(index.connections[*conn].span);
        }
        out.push(d::cycle(&names, index.blocks[start].id.span, &spans));
    }
}

/// The shortest path from `start` back to itself inside the component, as `(block reached,
/// connection taken)` steps.
fn shortest_loop(
    edges: &[Vec<(usize, usize)>],
    in_component: &[bool],
    start: usize,
) -> Option<Vec<(usize, usize)>> {
    // `previous[b]` is the (block, connection) step that first reached `b`.
    let mut previous: Vec<Option<(usize, usize)>> = vec![None; edges.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(block) = queue.pop_front() {
        for &(target, conn) in &edges[block] {
            if !in_component[target] {
                continue;
            }
            if target == start {
                let mut path = vec![(start, conn)];
                let mut at = block;
                while at != start {
                    let (from, via) = previous[at]?;
                    path.push((at, via));
                    at = from;
                }
                path.reverse();
                // `path` now lists the steps in order; each entry is (block reached, via).
                return Some(path);
            }
            if previous[target].is_none() {
                previous[target] = Some((block, conn));
                queue.push_back(target);
            }
        }
    }
    None
}

/// Tarjan's strongly connected components, without recursion.
fn strongly_connected(edges: &[Vec<(usize, usize)>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut order = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    // Each frame: (block, next edge to visit).
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if order[root] != usize::MAX {
            continue;
        }
        frames.push((root, 0));
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (block, ref mut next)) = frames.last_mut() {
            if let Some(&(target, _)) = edges[block].get(*next) {
                *next += 1;
                if order[target] == usize::MAX {
                    order[target] = counter;
                    low[target] = counter;
                    counter += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    frames.push((target, 0));
                } else if on_stack[target] {
                    low[block] = low[block].min(order[target]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[block]);
            }
            if low[block] == order[block] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == block {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn a_cycle_is_named_whole_with_every_connection() {
        let mut b = B::default();
        let a = b.py("a", &[("x", "String")], &[("y", "String")]);
        let bb = b.py("b", &[("x", "String")], &[("y", "String")]);
        let c = b.py("c", &[("x", "String")], &[("y", "String")]);
        let a_span = a.id.span;
        let c1 = b.conn("a.y -> b.x");
        let c2 = b.conn("b.y -> c.x");
        let c3 = b.conn("c.y -> a.x");
        let spans = [c1.span, c2.span, c3.span];
        let doc = doc(vec![a, bb, c], vec![c1, c2, c3], vec![]);
        let found = with_code(&doc, "cycle");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "the connections form a cycle: `a` -> `b` -> `c` -> `a`"
        );
        assert_eq!(found[0].span(), a_span);
        let related: Vec<_> = found[0].labels[1..].iter().map(|l| l.span).collect();
        assert_eq!(related, spans);
        assert_eq!(found[0].labels[1].message, "`a` feeds `b`");
    }

    #[test]
    fn self_loop_and_acyclic_graphs() {
        let mut b = B::default();
        let a = b.py("a", &[("x", "String")], &[("y", "String")]);
        let c1 = b.conn("a.y -> a.x");
        let looped = doc(vec![a.clone()], vec![c1], vec![]);
        let found = with_code(&looped, "cycle");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "the connections form a cycle: `a` -> `a`");
        let mut b2 = B::default();
        assert!(with_code(&clean_pipeline(&mut b2), "cycle").is_empty());
    }
}
