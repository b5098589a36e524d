/* CRarenetPrefetch is header-only (an inline function); SwiftPM needs a source file. */
