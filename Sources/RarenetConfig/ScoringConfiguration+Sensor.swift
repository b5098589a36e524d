import RarenetScoring

extension ScoringConfiguration {
    /// The scorer's settings from the sensor's configuration.
    ///
    /// - Parameter sensorProcessID: the sensor's own process, excluded from
    ///   scoring; `nil` offline (replay, learn).
    public init(_ configuration: SensorConfiguration, sensorProcessID: UInt32?) {
        self.init()
        let scoring = configuration.scoring
        bucketSpan = scoring.bucketSpan
        learningPeriod = scoring.learningPeriod
        threshold = scoring.threshold
        halfLife = scoring.halfLife
        bucketKeyCapacity = scoring.bucketKeyCapacity
        destinationPorts = DestinationPortKeys(dynamicRange: scoring.dynamicPorts)
        sketch = SketchParameters(depth: scoring.sketch.depth, width: scoring.sketch.width, seed: scoring.sketch.seed)
        keyMode = scoring.key == .executable ? .executable : .name
        detectors = scoring.detectors.map { $0 == .rareProcess ? .rareProcess : .rarePort }
        realertInterval = configuration.alerting.realertInterval
        maximumQuietTime = configuration.alerting.maximumQuietTime
        alertCap = configuration.alerting.cap
        alertCapWindow = configuration.alerting.capWindow
        let excluded = configuration.exclusions
        exclusions.processNames = Set(excluded.processNames)
        exclusions.executables = Set(excluded.executables)
        exclusions.users = excluded.users.map { UInt32($0).map(UserSelector.id) ?? .name($0) }
        exclusions.destinations += excluded.cidrs
        exclusions.sensorProcessID = sensorProcessID
        identity.rewriteRules = configuration.identity.rewriteRules
        identity.interpreters = configuration.identity.interpreters
    }
}
