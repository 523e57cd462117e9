# The index of Herald's commands.
.PHONY: build test run migrate clean

build:
	swift build

## Every test: installs what is missing, runs the suite on SQLite and on a throwaway PostgreSQL.
test:
	bash scripts/test.sh

## Herald on the embedded SQLite database at http://127.0.0.1:8080
run:
	swift run herald serve

migrate:
	swift run herald migrate

clean:
	rm -rf .build
