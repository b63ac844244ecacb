//! Matching an observation expression against observations.
//!
//! First every `[…]` is evaluated against every observation, giving each its
//! candidate observations. Then a search looks for a *binding*, as the reference
//! matcher defines it: an observation for each `[…]` the pattern needs, no
//! observation bound twice (an observed-data with `number_observed: n` counts as n
//! observations), with the time constraints of `FOLLOWEDBY`, `WITHIN` and
//! `START`/`STOP` met.
//!
//! The time constraints become filters on candidates: `START`/`STOP` directly; for
//! `WITHIN` the search tries each possible earliest `last_observed` of the binding as
//! the start of the window, for `FOLLOWEDBY` each possible latest `first_observed`
//! of the left side as the split point. With only filters left, whether distinct
//! observations exist for all the `[…]` chosen is a max-flow question ([`flow`]).
//! The search is exact but bounded: past [`MAX_STEPS`] it reports no match.

use super::ast::{ComparisonExpr, ObservationExpr, Qualifier};
use super::flow::{self, Demand};
use super::value::{index_ids, object_matches, Ids};
use super::Observation;
use chrono::{DateTime, TimeDelta, Utc};
use std::cell::Cell;

/// Search steps before giving up: one per branch tried, and one per flow check and
/// 64 candidates in it.
pub(super) const MAX_STEPS: u32 = 25_000;
/// Nested search levels (operands of `AND`/`FOLLOWEDBY` that need a search, …).
const MAX_DEPTH: u32 = 64;
/// `REPEATS` over an expression that needs a time search is tried up to this count.
const MAX_COPIES: u64 = 64;

pub(super) fn matches(root: &ObservationExpr, observations: &[Observation]) -> bool {
    let mut leaves = Vec::new();
    let plan = Node::build(root, &mut leaves);
    let ids: Vec<Ids<'_>> = if leaves.iter().any(|l| follows_references(l)) {
        observations.iter().map(|o| index_ids(&o.objects)).collect()
    } else {
        Vec::new()
    };
    let no_ids = Ids::new();
    let candidates: Vec<Vec<usize>> = leaves
        .iter()
        .map(|leaf| {
            (0..observations.len())
                .filter(|&i| {
                    let ids = ids.get(i).unwrap_or(&no_ids);
                    observations[i]
                        .objects
                        .iter()
                        .any(|o| object_matches(leaf, o, ids))
                })
                .collect()
        })
        .collect();
    if candidates.iter().all(Vec::is_empty) {
        return false;
    }
    let units: Vec<Unit> = observations
        .iter()
        .map(|o| Unit {
            first: o.first_observed,
            last: o.last_observed,
        })
        .collect();
    let caps: Vec<u64> = observations
        .iter()
        .map(|o| o.number_observed.max(1))
        .collect();
    let solver = Solver {
        total: caps.iter().map(|&c| u128::from(c)).sum(),
        units: &units,
        caps: &caps,
        candidates: &candidates,
        steps: Cell::new(0),
    };
    solver.run(&plan)
}

fn follows_references(expr: &ComparisonExpr) -> bool {
    let mut found = false;
    expr.for_each_comparison(&mut |c| found |= c.path.follows_references());
    found
}

/// The observation expression, with each `[…]` replaced by its index among the
/// leaves and the qualifiers as nested nodes.
struct Node {
    kind: Kind,
    /// Always binds exactly one observation, from a fixed candidate set.
    single: bool,
    /// Binds a fixed multiset of candidate sets: no choice to search.
    fixed: bool,
}

enum Kind {
    Leaf(usize),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// Each operand with the leaves of it and of all operands before it.
    FollowedBy(Vec<(Node, Vec<usize>)>),
    /// The window (`None`: too long to matter) and the leaves inside.
    Within(Box<Node>, Option<TimeDelta>, Vec<usize>),
    Repeats(Box<Node>, u64),
    StartStop(Box<Node>, DateTime<Utc>, DateTime<Utc>),
}

impl Node {
    fn build<'p>(expr: &'p ObservationExpr, leaves: &mut Vec<&'p ComparisonExpr>) -> Node {
        let kind = match expr {
            ObservationExpr::Comparison(c) => {
                leaves.push(c);
                Kind::Leaf(leaves.len() - 1)
            }
            ObservationExpr::And(v) => {
                Kind::And(v.iter().map(|e| Node::build(e, leaves)).collect())
            }
            ObservationExpr::Or(v) => Kind::Or(v.iter().map(|e| Node::build(e, leaves)).collect()),
            ObservationExpr::FollowedBy(v) => {
                let first = leaves.len();
                let parts = v
                    .iter()
                    .map(|e| {
                        let node = Node::build(e, leaves);
                        (node, (first..leaves.len()).collect())
                    })
                    .collect();
                Kind::FollowedBy(parts)
            }
            ObservationExpr::Qualified(inner, qualifiers) => {
                let first = leaves.len();
                let mut node = Node::build(inner, leaves);
                for q in qualifiers {
                    let inner = Box::new(node);
                    node = Node::new(match q {
                        Qualifier::Within(seconds) => {
                            Kind::Within(inner, span(*seconds), (first..leaves.len()).collect())
                        }
                        Qualifier::Repeats(n) => Kind::Repeats(inner, *n),
                        Qualifier::StartStop(start, stop) => Kind::StartStop(inner, *start, *stop),
                    });
                }
                return node;
            }
        };
        Node::new(kind)
    }

    fn new(kind: Kind) -> Node {
        let single = match &kind {
            Kind::Leaf(_) => true,
            Kind::Or(v) => v.iter().all(|n| n.single),
            // One observation is always within any window.
            Kind::StartStop(n, ..) | Kind::Within(n, ..) | Kind::Repeats(n, 1) => n.single,
            _ => false,
        };
        let fixed = single
            || match &kind {
                Kind::And(v) => v.iter().all(|n| n.fixed),
                Kind::StartStop(n, ..) | Kind::Repeats(n, _) => n.fixed,
                _ => false,
            };
        Node {
            kind,
            single,
            fixed,
        }
    }
}

fn span(seconds: f64) -> Option<TimeDelta> {
    let nanos = (seconds * 1e9).round();
    (nanos < 9e18).then(|| TimeDelta::nanoseconds(nanos as i64))
}

#[derive(Clone, Copy)]
struct Unit {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// Time bounds an observation must meet to be bound at some point of the search.
#[derive(Clone, Copy, Default)]
struct Filter {
    first_at_most: Option<DateTime<Utc>>,
    first_before: Option<DateTime<Utc>>,
    last_at_least: Option<DateTime<Utc>>,
}

impl Filter {
    fn accepts(&self, u: &Unit) -> bool {
        self.first_at_most.is_none_or(|t| u.first <= t)
            && self.first_before.is_none_or(|t| u.first < t)
            && self.last_at_least.is_none_or(|t| u.last >= t)
    }

    fn first_at_most(mut self, t: DateTime<Utc>) -> Filter {
        self.first_at_most = Some(self.first_at_most.map_or(t, |x| x.min(t)));
        self
    }

    fn last_at_least(mut self, t: DateTime<Utc>) -> Filter {
        self.last_at_least = Some(self.last_at_least.map_or(t, |x| x.max(t)));
        self
    }

    /// `START`/`STOP`: observed at some time in `[start, stop)`.
    fn start_stop(mut self, start: DateTime<Utc>, stop: DateTime<Utc>) -> Filter {
        self.first_before = Some(self.first_before.map_or(stop, |x| x.min(stop)));
        self.last_at_least(start)
    }
}

/// Where the search stands: the filter on candidates, how many copies of the current
/// expression are needed (from `REPEATS`) and the nesting of the search.
#[derive(Clone, Copy)]
struct At {
    filter: Filter,
    copies: u64,
    depth: u32,
}

impl At {
    fn deeper(self) -> At {
        At {
            depth: self.depth + 1,
            ..self
        }
    }

    fn with_filter(self, filter: Filter) -> At {
        At { filter, ..self }
    }

    fn with_copies(self, copies: u64) -> At {
        At { copies, ..self }
    }
}

/// What to do once part of the pattern is bound: bind the rest, finally check flow.
type Then<'c> = dyn FnMut(&mut Vec<Demand>) -> bool + 'c;

struct Solver<'a> {
    units: &'a [Unit],
    caps: &'a [u64],
    /// Sum of `caps`.
    total: u128,
    candidates: &'a [Vec<usize>],
    steps: Cell<u32>,
}

impl Solver<'_> {
    fn run(&self, plan: &Node) -> bool {
        let at = At {
            filter: Filter::default(),
            copies: 1,
            depth: 0,
        };
        // Demands are checked as they are added: once all is bound, all is met.
        self.solve(plan, at, &mut Vec::new(), &mut |_| true)
    }

    /// Whether the demands so far can all be met; a partial binding that cannot be
    /// completed is abandoned at once.
    fn feasible(&self, demands: &[Demand]) -> bool {
        let work: usize = demands.iter().map(|d| d.eligible.len()).sum();
        self.charge(1 + u32::try_from(work / 64).unwrap_or(MAX_STEPS))
            && match flow::satisfiable(demands, self.caps) {
                Some(found) => found,
                None => self.give_up(),
            }
    }

    /// Counts a step; false once the budget is spent.
    fn tick(&self) -> bool {
        self.charge(1)
    }

    /// Counts `steps` steps; false once the budget is spent.
    fn charge(&self, steps: u32) -> bool {
        let spent = self.steps.get();
        self.steps.set(spent.saturating_add(steps));
        spent < MAX_STEPS
    }

    fn give_up(&self) -> bool {
        self.steps.set(MAX_STEPS);
        false
    }

    fn spent(&self) -> bool {
        self.steps.get() >= MAX_STEPS
    }

    /// Binds `at.copies` copies of `node` in addition to `demands`, then calls `then`.
    fn solve(&self, node: &Node, at: At, demands: &mut Vec<Demand>, then: &mut Then<'_>) -> bool {
        if !self.tick() {
            return false;
        }
        if at.depth > MAX_DEPTH {
            return self.give_up();
        }
        if node.fixed {
            let base = demands.len();
            let found = self.push_fixed(node, at.filter, at.copies, demands)
                && self.feasible(demands)
                && then(demands);
            demands.truncate(base);
            return found;
        }
        match &node.kind {
            Kind::And(operands) => {
                let base = demands.len();
                let mut searched = Vec::new();
                let mut possible = true;
                for n in operands {
                    if !n.fixed {
                        searched.push(n);
                    } else if !self.push_fixed(n, at.filter, at.copies, demands) {
                        possible = false;
                        break;
                    }
                }
                let found = possible
                    && (demands.len() == base || self.feasible(demands))
                    && self.solve_all(&searched, at, demands, then);
                demands.truncate(base);
                found
            }
            Kind::Or(operands) if at.copies == 1 => operands
                .iter()
                .any(|n| !self.spent() && self.solve(n, at.deeper(), demands, then)),
            Kind::Or(operands) => self.solve_spread(operands, at.copies, at, demands, then),
            Kind::StartStop(inner, start, stop) => {
                let filter = at.filter.start_stop(*start, *stop);
                self.solve(inner, at.with_filter(filter), demands, then)
            }
            Kind::Repeats(inner, n) => match at.copies.checked_mul(*n) {
                Some(copies) if u128::from(copies) <= self.total => {
                    self.solve(inner, at.with_copies(copies), demands, then)
                }
                _ => false,
            },
            Kind::Within(..) | Kind::FollowedBy(_) if at.copies > 1 => {
                if at.copies > MAX_COPIES {
                    return self.give_up();
                }
                self.solve_copies(node, at.copies, at.with_copies(1), demands, then)
            }
            Kind::Within(inner, window, leaves) => {
                for start in self.times(leaves, at.filter, |u| u.last) {
                    let filter = at.filter.last_at_least(start);
                    let filter = match window.and_then(|w| start.checked_add_signed(w)) {
                        Some(end) => filter.first_at_most(end),
                        None => filter,
                    };
                    if self.solve(inner, at.with_filter(filter).deeper(), demands, then) {
                        return true;
                    }
                    if self.spent() {
                        return false;
                    }
                }
                false
            }
            Kind::FollowedBy(parts) => self.solve_chain(parts, None, at, demands, then),
            Kind::Leaf(_) => false,
        }
    }

    /// Adds the demands of a `fixed` node; false if one of them alone cannot be met.
    fn push_fixed(
        &self,
        node: &Node,
        filter: Filter,
        copies: u64,
        demands: &mut Vec<Demand>,
    ) -> bool {
        if node.single {
            let mut eligible = Vec::new();
            self.eligible(node, filter, &mut eligible);
            eligible.sort_unstable();
            eligible.dedup();
            let capacity: u128 = eligible.iter().map(|&i| u128::from(self.caps[i])).sum();
            demands.push(Demand {
                eligible,
                count: copies,
            });
            return capacity >= u128::from(copies);
        }
        match &node.kind {
            Kind::And(operands) => operands
                .iter()
                .all(|n| self.push_fixed(n, filter, copies, demands)),
            Kind::StartStop(inner, start, stop) => {
                self.push_fixed(inner, filter.start_stop(*start, *stop), copies, demands)
            }
            Kind::Repeats(inner, n) => copies
                .checked_mul(*n)
                .is_some_and(|copies| self.push_fixed(inner, filter, copies, demands)),
            _ => false,
        }
    }

    /// The candidates of a `single` node that pass `filter`.
    fn eligible(&self, node: &Node, filter: Filter, out: &mut Vec<usize>) {
        match &node.kind {
            Kind::Leaf(leaf) => out.extend(
                self.candidates[*leaf]
                    .iter()
                    .filter(|&&i| filter.accepts(&self.units[i])),
            ),
            Kind::Or(operands) => operands.iter().for_each(|n| self.eligible(n, filter, out)),
            Kind::StartStop(inner, start, stop) => {
                self.eligible(inner, filter.start_stop(*start, *stop), out)
            }
            Kind::Within(inner, ..) | Kind::Repeats(inner, _) => self.eligible(inner, filter, out),
            Kind::And(_) | Kind::FollowedBy(_) => {}
        }
    }

    /// The distinct times (`first` or `last`) of the candidates of `leaves` passing
    /// `filter`, in order.
    fn times(
        &self,
        leaves: &[usize],
        filter: Filter,
        time: fn(&Unit) -> DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let mut times: Vec<_> = leaves
            .iter()
            .flat_map(|&l| &self.candidates[l])
            .map(|&i| &self.units[i])
            .filter(|u| filter.accepts(u))
            .map(time)
            .collect();
        times.sort_unstable();
        times.dedup();
        times
    }

    /// Binds every node of `nodes` (the operands of an `AND`).
    fn solve_all(
        &self,
        nodes: &[&Node],
        at: At,
        demands: &mut Vec<Demand>,
        then: &mut Then<'_>,
    ) -> bool {
        match nodes {
            [] => then(demands),
            [first, rest @ ..] => self.solve(first, at.deeper(), demands, &mut |demands| {
                self.solve_all(rest, at.deeper(), demands, &mut *then)
            }),
        }
    }

    /// Binds `count` copies of `node`, each with its own choices.
    fn solve_copies(
        &self,
        node: &Node,
        count: u64,
        at: At,
        demands: &mut Vec<Demand>,
        then: &mut Then<'_>,
    ) -> bool {
        if count == 0 {
            return then(demands);
        }
        self.solve(node, at.deeper(), demands, &mut |demands| {
            self.solve_copies(node, count - 1, at.deeper(), demands, &mut *then)
        })
    }

    /// Binds `count` copies of an `OR`: some of the first operand, the rest spread
    /// over the others.
    fn solve_spread(
        &self,
        operands: &[Node],
        count: u64,
        at: At,
        demands: &mut Vec<Demand>,
        then: &mut Then<'_>,
    ) -> bool {
        match operands {
            [] => count == 0 && then(demands),
            [last] if count > 0 => self.solve(last, at.with_copies(count).deeper(), demands, then),
            [_] => then(demands),
            [first, rest @ ..] => {
                for here in (0..=count).rev() {
                    if !self.tick() {
                        return false;
                    }
                    let found = if here == 0 {
                        self.solve_spread(rest, count, at.deeper(), demands, then)
                    } else {
                        self.solve(
                            first,
                            at.with_copies(here).deeper(),
                            demands,
                            &mut |demands| {
                                self.solve_spread(
                                    rest,
                                    count - here,
                                    at.deeper(),
                                    demands,
                                    &mut *then,
                                )
                            },
                        )
                    };
                    if found {
                        return true;
                    }
                }
                false
            }
        }
    }

    /// Binds the operands of `FOLLOWEDBY` from `parts` on, each observed no earlier
    /// than `after` (the latest `first_observed` among the operands before).
    fn solve_chain(
        &self,
        parts: &[(Node, Vec<usize>)],
        after: Option<DateTime<Utc>>,
        at: At,
        demands: &mut Vec<Demand>,
        then: &mut Then<'_>,
    ) -> bool {
        let [(part, leaves_so_far), rest @ ..] = parts else {
            return then(demands);
        };
        let here = match after {
            Some(t) => at.filter.last_at_least(t),
            None => at.filter,
        };
        if rest.is_empty() {
            return self.solve(part, at.with_filter(here).deeper(), demands, then);
        }
        for split in self.times(leaves_so_far, at.filter, |u| u.first) {
            if after.is_some_and(|t| split < t) {
                continue;
            }
            let bound = at.with_filter(here.first_at_most(split)).deeper();
            let found = self.solve(part, bound, demands, &mut |demands| {
                self.solve_chain(rest, Some(split), at.deeper(), demands, &mut *then)
            });
            if found {
                return true;
            }
            if self.spent() {
                return false;
            }
        }
        false
    }
}
