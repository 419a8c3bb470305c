# The mock as a small static image. Build: docker build -t cryptomock .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mockserver ./cmd/mockserver

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mockserver /mockserver
EXPOSE 8080
# Listening beyond loopback: the control API needs CRYPTOMOCK_CONTROL_TOKEN (or prints one).
ENTRYPOINT ["/mockserver", "-addr", "0.0.0.0:8080"]
HEALTHCHECK --interval=5s --timeout=2s --retries=10 CMD ["/mockserver", "-probe", "http://127.0.0.1:8080/__mock/health"]
