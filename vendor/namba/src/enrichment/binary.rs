pub(crate) const MAGIC: &[u8] = b"NAMBA\0\x01";
pub(crate) const TAG: u8 = b'P';
pub(crate) const RECORD_BYTES: usize =
    size_of::<u64>() + size_of::<u8>() + size_of::<u32>() + size_of::<u16>();
pub(crate) const HEADER_BYTES: usize = MAGIC.len() + 1 + size_of::<u32>();
