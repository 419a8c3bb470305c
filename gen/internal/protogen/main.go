// Command protogen compiles openapi/payscrypt.proto with a pure-Go compiler (protocompile,
// no protoc) and runs the pinned plugins protoc-gen-go and protoc-gen-go-grpc on it (go tool),
// writing their output into a directory. gen/payscryptpb's go:generate runs it; make
// generate-check runs it into a temporary directory and compares.
//
//	go run ./gen/internal/protogen -out gen/payscryptpb
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	root := flag.String("root", "openapi", "directory holding payscrypt.proto and proto/ (its imports)")
	out := flag.String("out", "gen/payscryptpb", "where the generated files go")
	flag.Parse()
	if err := run(*root, *out); err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

func run(root, out string) error {
	compiler := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		ImportPaths: []string{root, filepath.Join(root, "proto")}})}
	files, err := compiler.Compile(context.Background(), "payscrypt.proto")
	if err != nil {
		return err
	}
	// Every file the plugins need, dependencies first.
	var all []*descriptorpb.FileDescriptorProto
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		all = append(all, protodesc.ToFileDescriptorProto(fd))
	}
	add(files[0])
	for _, plugin := range []string{"protoc-gen-go", "protoc-gen-go-grpc"} {
		req := &pluginpb.CodeGeneratorRequest{FileToGenerate: []string{"payscrypt.proto"}, ProtoFile: all,
			Parameter: proto.String("paths=source_relative")}
		in, err := proto.Marshal(req)
		if err != nil {
			return err
		}
		cmd := exec.Command("go", "tool", plugin)
		cmd.Stdin, cmd.Stderr = bytes.NewReader(in), os.Stderr
		raw, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s: %w", plugin, err)
		}
		var resp pluginpb.CodeGeneratorResponse
		if err := proto.Unmarshal(raw, &resp); err != nil {
			return err
		}
		if resp.Error != nil {
			return fmt.Errorf("%s: %s", plugin, resp.GetError())
		}
		for _, f := range resp.File {
			if err := os.WriteFile(filepath.Join(out, f.GetName()), []byte(f.GetContent()), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
