# The mock, the contract suite as a standalone binary, and certify, as small static images.
#   docker build -t cryptomock .                      # the mock (with /certify beside it)
#   docker build --target contract -t cryptomock-contract .
#   docker build --target certify -t cryptomock-certify .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mockserver ./cmd/mockserver \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/certify ./cmd/certify \
 && CGO_ENABLED=0 go test -c -trimpath -o /out/contract ./contract \
 && mkdir -p /out/run/cryptomock

FROM gcr.io/distroless/static-debian12:nonroot AS contract
COPY --from=build /out/contract /contract
# Target and credentials come from the environment (README: "Run the contract suite...").
ENTRYPOINT ["/contract", "-test.run", "^TestContract$", "-ginkgo.junit-report=/reports/contract-junit.xml", "-ginkgo.json-report=/reports/contract.json"]

# certify's active checks and -observe (a command after -- needs its own tools: run certify
# where your e2e tests run instead). Reports go to /reports.
FROM gcr.io/distroless/static-debian12:nonroot AS certify
COPY --from=build /out/certify /certify
ENTRYPOINT ["/certify", "-report-dir", "/reports"]

FROM gcr.io/distroless/static-debian12:nonroot AS mock
COPY --from=build /out/mockserver /mockserver
COPY --from=build /out/certify /certify
# Where compose's shared volume receives the control token (owned by the image's user, so a
# fresh named volume is writable by it).
COPY --from=build --chown=65532:65532 /out/run/cryptomock /run/cryptomock
EXPOSE 8080
# Listening beyond loopback: the control API needs CRYPTOMOCK_CONTROL_TOKEN (or generates and
# prints one). Other hosts' names must be listed in CRYPTOMOCK_ALLOWED_HOSTS.
ENTRYPOINT ["/mockserver", "-addr", "0.0.0.0:8080"]
HEALTHCHECK --interval=5s --timeout=2s --retries=10 CMD ["/mockserver", "-probe", "http://127.0.0.1:8080/__mock/health"]
