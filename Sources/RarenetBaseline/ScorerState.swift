import RarenetScoring

extension SnapshotStore {
    /// A scorer for `configuration` with the stored baseline restored, and
    /// what the load found.
    ///
    /// A snapshot that is corrupt, of another format version or of other
    /// parameters is an ``SnapshotStoreError/invalidSnapshot(path:underlying:)``
    /// error, or, with `resettingInvalid`, moved aside (``SnapshotLoad/reset(movedTo:reason:)``)
    /// and the scorer starts with an empty baseline.
    public func restoreScorer(
        configuration: ScoringConfiguration,
        resettingInvalid: Bool
    ) throws -> (scorer: RarityScorer, load: SnapshotLoad<Baseline>) {
        var scorer = try RarityScorer(configuration: configuration)
        let expected = BaselineParameters(configuration)
        let load = try load(resettingInvalid: resettingInvalid) { bytes in
            try Baseline(decoding: bytes, expecting: expected)
        }
        if case .loaded(let baseline) = load {
            try scorer.restore(baseline)
        }
        return (scorer, load)
    }

    /// Saves `baseline` as the snapshot (see ``save(_:)-([UInt8])``).
    public func save(_ baseline: Baseline) throws(SnapshotStoreError) {
        try save(baseline.encoded())
    }
}
