# The index of Herald's commands.
.PHONY: build test run sandbox migrate openapi clean

build:
	swift build

## Every test: installs what is missing, runs the suite on SQLite and on a throwaway PostgreSQL.
test:
	bash scripts/test.sh

## Herald on the embedded SQLite database at http://127.0.0.1:8080
run:
	swift run herald serve

## Herald with the built-in Slack sandbox and demo data
sandbox:
	swift run herald serve --sandbox

## Validate the OpenAPI document (Sources/HeraldServer/Resources/openapi.json, edited by hand)
openapi:
	python3 scripts/check_openapi.py

migrate:
	swift run herald migrate

## Benchmark, not a test: events/s, deliveries/s, event-to-post latency, memory, on SQLite and PostgreSQL.
## Builds the release binary first. Options: make bench ARGS="--quick --db sqlite" (see scripts/bench.py --help)
.PHONY: bench
bench:
	swift build -c release --product herald
	python3 scripts/bench.py --bin .build/release/herald --build-label release $(ARGS)

## Benchmark, not a test: Herald against Debian's prometheus-alertmanager on Alertmanager's own workload
## (10,000 alerts over 200 channels, then resolved; one alert per request), 3 runs, ranges.
## Builds the release binaries first. Options: make bench-compare ARGS="--runs 1 --postgres" (scripts/bench_compare.py --help)
.PHONY: bench-compare
bench-compare:
	swift build -c release --product herald
	swift build -c release --product slack-sandbox
	python3 scripts/bench_compare.py --bin .build/release/herald $(ARGS)

clean:
	rm -rf .build
