import Foundation
import RarenetTestSupport
import Testing

extension SensorProcess {
    /// Waits until the baseline holds more than `buckets` completed buckets of
    /// the bucket-span scale (`rarenet_baseline_buckets`, published every few
    /// seconds), so that a learning period of `buckets` buckets is over.
    func waitUntilBaselineExceeds(buckets: Int, within timeout: Duration = .seconds(20)) throws {
        let spanned = try waitForMetric("rarenet_baseline_buckets", ["scale": "bucket_span"], within: timeout) {
            $0 >= Double(buckets) + 0.5
        }
        try #require(spanned != nil, "the baseline never spanned \(buckets) buckets; the sensor's log:\n\(log())")
    }
}

/// The path `path` resolves to, as the kernel reports an executable.
func resolvedPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}
