//! [`Short`]: a list of a few `Copy` items, kept inline and spilled to the heap beyond `N`.
//!
//! Every execution builds the same handful of short lists (the pollers to wake after a table
//! change, the lists a poller sees, a thread's sessions and open stores, a list's connections and
//! pending work); one heap allocation each would be a good part of an execution's cost.

/// A list of up to `N` items inline, on the heap beyond.
#[derive(Clone, Debug)]
pub(crate) enum Short<T: Copy, const N: usize> {
    /// The items are `.0[..len]`; the other slots hold the filler.
    Inline([T; N], usize),
    /// More than `N` items were pushed once.
    Heap(Vec<T>),
}

/// The items, not the filler.
impl<T: Copy + std::hash::Hash, const N: usize> std::hash::Hash for Short<T, N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T: Copy, const N: usize> Short<T, N> {
    /// An empty list; `fill` only fills the unused inline slots.
    pub(crate) fn new(fill: T) -> Self {
        Short::Inline([fill; N], 0)
    }

    pub(crate) fn push(&mut self, item: T) {
        match self {
            Short::Inline(items, len) if *len < N => {
                items[*len] = item;
                *len += 1;
            }
            Short::Inline(items, _) => {
                let mut heap = Vec::with_capacity(2 * N);
                heap.extend_from_slice(items);
                heap.push(item);
                *self = Short::Heap(heap);
            }
            Short::Heap(heap) => heap.push(item),
        }
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        match self {
            Short::Inline(_, 0) => None,
            Short::Inline(items, len) => {
                *len -= 1;
                Some(items[*len])
            }
            Short::Heap(heap) => heap.pop(),
        }
    }

    /// Keep only the items for which `keep` holds, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        match self {
            Short::Inline(items, len) => {
                let mut kept = 0;
                for index in 0..*len {
                    if keep(&items[index]) {
                        items[kept] = items[index];
                        kept += 1;
                    }
                }
                *len = kept;
            }
            Short::Heap(heap) => heap.retain(keep),
        }
    }

    /// Remove every item, leaving the list as it was new (with `fill` in the inline slots).
    pub(crate) fn take(&mut self, fill: T) -> Self {
        std::mem::replace(self, Short::new(fill))
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Short::Inline(items, len) => &items[..*len],
            Short::Heap(heap) => heap,
        }
    }

    pub(crate) fn last(&self) -> Option<&T> {
        self.as_slice().last()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }
}

#[cfg(test)]
mod tests {
    use super::Short;

    #[test]
    fn behaves_like_a_vec() {
        let mut short = Short::<u32, 3>::new(0);
        let mut vec = Vec::new();
        for step in 0..40u32 {
            match step % 7 {
                0 | 5 => assert_eq!(short.pop(), vec.pop()),
                3 => {
                    short.retain(|&x| x % 3 != 0);
                    vec.retain(|&x| x % 3 != 0);
                }
                _ => {
                    short.push(step);
                    vec.push(step);
                }
            }
            assert_eq!(short.as_slice(), vec.as_slice());
            assert_eq!(short.last(), vec.last());
            assert_eq!(short.len(), vec.len());
            assert_eq!(short.is_empty(), vec.is_empty());
        }
        let taken = short.take(0);
        assert_eq!(taken.as_slice(), vec.as_slice());
        assert!(short.is_empty());
    }
}
