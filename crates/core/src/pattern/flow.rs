//! Can every demand get its count of distinct observations? A bipartite max-flow
//! (Edmonds–Karp; breadth-first, so without recursion).

use std::collections::VecDeque;

/// `count` distinct observations, each one of `eligible` (indexes of observations).
#[derive(Debug, Clone)]
pub(super) struct Demand {
    pub eligible: Vec<usize>,
    pub count: u64,
}

/// Edges of the flow network beyond which [`satisfiable`] does not decide.
const MAX_EDGES: usize = 1 << 18;

/// Whether all demands can be met at once when observation `i` can serve `caps[i]`
/// demand units in total; `None` when the instance is too large to decide.
pub(super) fn satisfiable(demands: &[Demand], caps: &[u64]) -> Option<bool> {
    // Demands on the same observations are interchangeable: add them up.
    let mut merged: Vec<(&[usize], u128)> = demands
        .iter()
        .filter(|d| d.count > 0)
        .map(|d| (d.eligible.as_slice(), u128::from(d.count)))
        .collect();
    merged.sort_unstable_by(|a, b| a.0.cmp(b.0));
    merged.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    let edges: usize = merged.iter().map(|(eligible, _)| eligible.len() + 2).sum();
    if edges > MAX_EDGES {
        return None;
    }
    // Most constrained first, for the greedy start.
    merged.sort_by_key(|(eligible, count)| (eligible.len(), std::cmp::Reverse(*count)));
    let need: u128 = merged.iter().map(|(_, count)| count).sum();
    let mut net = Network::default();
    let (source, sink) = (net.node(), net.node());
    // Per observation, its node and its edge to the sink, once it has them.
    let mut outlets: Vec<Option<(usize, usize)>> = vec![None; caps.len()];
    let mut flow = 0;
    for (eligible, count) in merged {
        let d = net.node();
        let inlet = net.edge(source, d, count);
        for &unit in eligible {
            let Some(slot) = outlets.get_mut(unit) else {
                continue;
            };
            let (u, outlet) = match *slot {
                Some(found) => found,
                None => {
                    let u = net.node();
                    let found = (u, net.edge(u, sink, caps[unit].into()));
                    *slot = Some(found);
                    found
                }
            };
            let link = net.edge(d, u, need);
            // Greedy start: serve the demand from what the observation has left.
            let take = net.capacity[inlet].min(net.capacity[outlet]);
            if take > 0 {
                for e in [inlet, link, outlet] {
                    net.push(e, take);
                }
                flow += take;
            }
        }
    }
    Some(flow >= need || flow + net.max_flow(source, sink, need - flow) >= need)
}

#[derive(Default)]
struct Network {
    /// Edge indexes leaving each node; edge `e ^ 1` is the reverse of edge `e`.
    adjacent: Vec<Vec<usize>>,
    to: Vec<usize>,
    capacity: Vec<u128>,
}

impl Network {
    fn node(&mut self) -> usize {
        self.adjacent.push(Vec::new());
        self.adjacent.len() - 1
    }

    /// Adds an edge and its reverse; returns the edge.
    fn edge(&mut self, from: usize, to: usize, capacity: u128) -> usize {
        let e = self.to.len();
        self.to.extend([to, from]);
        self.capacity.extend([capacity, 0]);
        self.adjacent[from].push(e);
        self.adjacent[to].push(e + 1);
        e
    }

    /// Sends `amount` along edge `e`.
    fn push(&mut self, e: usize, amount: u128) {
        self.capacity[e] -= amount;
        self.capacity[e ^ 1] += amount;
    }

    /// The maximum flow from `source` to `sink`, or `limit` if that is less.
    fn max_flow(&mut self, source: usize, sink: usize, limit: u128) -> u128 {
        let mut flow = 0;
        let mut via = vec![usize::MAX; self.adjacent.len()];
        while flow < limit {
            via.fill(usize::MAX);
            let mut queue = VecDeque::from([source]);
            'search: while let Some(node) = queue.pop_front() {
                for &e in &self.adjacent[node] {
                    let next = self.to[e];
                    if next != source && via[next] == usize::MAX && self.capacity[e] > 0 {
                        via[next] = e;
                        if next == sink {
                            break 'search;
                        }
                        queue.push_back(next);
                    }
                }
            }
            if via[sink] == usize::MAX {
                break;
            }
            let mut push = limit - flow;
            let mut node = sink;
            while node != source {
                let e = via[node];
                push = push.min(self.capacity[e]);
                node = self.to[e ^ 1];
            }
            node = sink;
            while node != source {
                let e = via[node];
                self.push(e, push);
                node = self.to[e ^ 1];
            }
            flow += push;
        }
        flow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(eligible: &[usize], count: u64) -> Demand {
        Demand {
            eligible: eligible.to_vec(),
            count,
        }
    }

    #[test]
    fn distinct_observations_are_assigned() {
        // Greedy would give observation 0 to the first demand and fail the second.
        let check = |demands: &[Demand], caps: &[u64]| satisfiable(demands, caps).unwrap();
        assert!(check(&[demand(&[0, 1], 1), demand(&[0], 1)], &[1, 1]));
        assert!(!check(&[demand(&[0], 1), demand(&[0], 1)], &[1, 1]));
        assert!(check(&[demand(&[0], 1), demand(&[0], 1)], &[2, 1]));
        assert!(check(&[demand(&[0, 1], 5)], &[3, 2]));
        assert!(!check(&[demand(&[0, 1], 6)], &[3, 2]));
        assert!(check(&[], &[]));
        assert!(check(
            &[demand(&[0], u64::MAX), demand(&[1], u64::MAX)],
            &[u64::MAX, u64::MAX]
        ));
        assert!(!check(
            &[demand(&[0, 1], u64::MAX), demand(&[1], 2)],
            &[u64::MAX, 1]
        ));
        assert!(check(
            &[demand(&[0, 1], 1), demand(&[1, 2], 1), demand(&[0, 2], 1)],
            &[1, 1, 1]
        ));
        // The greedy start gives observation 0 to the first demand: max-flow fixes it.
        assert!(check(
            &[demand(&[0, 1], 1), demand(&[0, 2, 3], 3)],
            &[1, 1, 1, 1]
        ));
        assert!(!check(&[demand(&[0, 1], 2), demand(&[0, 1], 1)], &[1, 1]));
    }
}
