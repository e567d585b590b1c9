// Command pulumi-language-python is this project's Python language host for the Pulumi CLI.
//
// Why it exists: the official host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), which the Go module proxy
// reachable from our build machines does not serve. This host speaks the same LanguageRuntime
// gRPC protocol and is built on the official SDK's own pieces (toolchain resolution, the plugin
// stream writers, the policy-pack proxy), so programs, dynamic providers and Python policy packs
// run as the official host (v3.274.1) runs them: the program through Pulumi's own
// `pulumi-language-python-exec` launcher, policy packs as `python -u -m pulumi.policy` on the
// project's or system Python unless PulumiPolicy.yaml names a virtualenv. Programs get their
// virtualenv created on first use (GetRequiredPackages), `pulumi install` fills it from the program
// folder's requirements.txt, and `pulumi new` is offered the same toolchain/virtualenv prompts.
// What it does not do is listed in the README ("The Python language host"). scripts/install-pulumi
// installs it only when it builds the CLI; a Pulumi CLI installed the usual way brings the
// official host instead.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// exitedAfterUserMessage is the exit code the exec launcher uses after it has shown the user
// an actionable message; the engine must then stop without adding a second error.
const exitedAfterUserMessage = 32

const execLauncher = "pulumi-language-python-exec"

// healthCheckInterval is how often the engine is polled; the official host uses the same.
const healthCheckInterval = 5 * time.Minute

func main() {
	flag.String("tracing", "", "accepted for compatibility; tracing is not emitted")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	self, err := os.Executable()
	if err != nil {
		fail(fmt.Errorf("cannot locate this executable: %w", err))
	}
	launcher := filepath.Join(filepath.Dir(self), execLauncher)
	if _, err := os.Stat(launcher); err != nil {
		fail(fmt.Errorf("missing executor %s next to the language host: %w", launcher, err))
	}

	// The host stops on SIGINT/SIGTERM, when the engine stops answering health checks, or when
	// the engine calls Cancel; the programs it runs are interrupted with it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	host := &languageHost{launcher: launcher, ctx: ctx, stop: stop}
	if args := flag.Args(); len(args) > 0 {
		if err := host.watchEngine(args[0]); err != nil {
			fail(err)
		}
	}
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fail(fmt.Errorf("could not start the language host gRPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	launcher string
	// ctx ends when the host must stop; stop ends it.
	ctx  context.Context
	stop context.CancelFunc

	mu            sync.Mutex
	engineAddress string
	watched       map[string]bool
}

// watchEngine records the engine's address and polls its health, stopping the host (and with it
// any program it runs) once the engine is gone, so the host never outlives a dead engine.
func (h *languageHost) watchEngine(address string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.engineAddress = address
	if address == "" || h.watched[address] {
		return nil
	}
	if err := rpcutil.Healthcheck(h.ctx, address, healthCheckInterval, h.stop); err != nil {
		return fmt.Errorf("could not start the engine health check: %w", err)
	}
	if h.watched == nil {
		h.watched = map[string]bool{}
	}
	h.watched[address] = true
	return nil
}

func (h *languageHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// parseOptions reads the runtime options of Pulumi.yaml (or PulumiPolicy.yaml) as the official
// host does. Only real plugins (isPlugin) default to a `venv` folder: programs and policy packs
// without a virtualenv option run on the project's or system Python (python3 on PATH, or
// PULUMI_PYTHON_CMD).
func parseOptions(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	options := info.GetOptions().AsMap()
	if v, ok := options["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("the runtime option 'virtualenv' must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := options["toolchain"]; ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "uv":
			opts.Toolchain = toolchain.Uv
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		default:
			return opts, fmt.Errorf("unsupported runtime option toolchain=%v (use pip, uv or poetry)", v)
		}
	}
	if v, ok := options["typechecker"]; ok && v != "" {
		return opts, fmt.Errorf("the runtime option typechecker=%v is not supported by this project's "+
			"language host (see the README); run the type checker before pulumi", v)
	}
	if isPlugin && opts.Virtualenv == "" && (opts.Toolchain == toolchain.Auto || opts.Toolchain == toolchain.Pip) {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

func resolveToolchain(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.Toolchain, error) {
	opts, err := parseOptions(info, isPlugin)
	if err != nil {
		return nil, err
	}
	return toolchain.ResolveToolchain(opts)
}

// missingInterpreter says, before anything is started, why the Python a policy pack names cannot
// run: without this check the engine waits for the pack's port forever.
func missingInterpreter(ctx context.Context, tc toolchain.Toolchain, info *pulumirpc.ProgramInfo) error {
	packDir := info.GetProgramDirectory()
	option, _ := info.GetOptions().AsMap()["virtualenv"].(string)
	if option == "" {
		if _, err := tc.Command(ctx, "--version"); err != nil {
			return fmt.Errorf("policy pack %s names no virtualenv in PulumiPolicy.yaml, so it runs on the "+
				"Python on PATH, and none was found: %w", packDir, err)
		}
		return nil
	}
	venv, err := tc.VirtualEnvPath(ctx)
	if err != nil || venv == "" || toolchain.IsVirtualEnv(venv) {
		return nil
	}
	return fmt.Errorf("policy pack %s: its virtualenv %s (option `virtualenv: %s` in PulumiPolicy.yaml) "+
		"does not exist or holds no bin/python. %s", packDir, venv, option, createVenvAdvice(venv, packDir))
}

// createVenvAdvice is the one command that creates the virtualenv: the repository's `make venv`
// when a Makefile beside the virtualenv has that target, otherwise `pulumi install` in the pack.
func createVenvAdvice(venv, packDir string) string {
	dir := filepath.Dir(venv)
	if hasMakeTarget(filepath.Join(dir, "Makefile"), "venv") {
		return fmt.Sprintf("Create it with `make venv` in %s, then run the command again.", dir)
	}
	return fmt.Sprintf("Create it with `pulumi install` in %s (it creates the virtualenv and installs "+
		"the pack's requirements.txt), then run the command again.", packDir)
}

func hasMakeTarget(makefile, target string) bool {
	f, err := os.Open(makefile)
	if err != nil {
		return false
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if strings.HasPrefix(scanner.Text(), target+":") {
			return true
		}
	}
	return false
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if err := h.watchEngine(req.GetEngineAddress()); err != nil {
		return nil, err
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.stop()
	return &emptypb.Empty{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages creates the program's virtualenv when it is missing (a fresh clone), as the
// official host does, and then reports no packages: our stacks use dynamic providers only, and
// scanning site-packages for pulumi-plugin.json files is not done (see the README).
func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	tc, err := resolveToolchain(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	stdout, stderr, closeWriters, err := h.engineWriters(ctx)
	if err != nil {
		return nil, err
	}
	defer closeWriters()
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, stdout, stderr); err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// engineWriters send text to the engine's log as ephemeral messages (how the official host shows
// virtualenv creation during preview).
func (h *languageHost) engineWriters(ctx context.Context) (io.Writer, io.Writer, func(), error) {
	address := h.engine()
	if address == "" {
		return os.Stderr, os.Stderr, func() {}, nil
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("could not connect to the engine: %w", err)
	}
	client := pulumirpc.NewEngineClient(conn)
	stream := rand.Int32() //nolint:gosec // a stream id, not a secret
	info := &engineLog{ctx, client, stream, pulumirpc.LogSeverity_INFO}
	errs := &engineLog{ctx, client, stream, pulumirpc.LogSeverity_ERROR}
	return info, errs, func() { _ = conn.Close() }, nil
}

type engineLog struct {
	ctx      context.Context
	client   pulumirpc.EngineClient
	stream   int32
	severity pulumirpc.LogSeverity
}

func (w *engineLog) Write(p []byte) (int, error) {
	_, err := w.client.Log(w.ctx, &pulumirpc.LogRequest{
		Message:   strings.ToValidUTF8(string(p), "\uFFFD"),
		Ephemeral: true,
		StreamId:  w.stream,
		Severity:  w.severity,
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	tc, err := resolveToolchain(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	args := []string{h.launcher}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	args = append(args, req.GetArgs()...)

	// The program stops when the request ends or the host stops (signal, Cancel, dead engine).
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	stopOnHostExit := context.AfterFunc(h.ctx, cancelRun)
	defer stopOnHostExit()
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if config := req.GetConfig(); config != nil {
		encoded, err := json.Marshal(config)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(encoded))
	}
	if keys := req.GetConfigSecretKeys(); keys != nil {
		encoded, err := json.Marshal(keys)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
		}
		env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(encoded))
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitedAfterUserMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python program: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin starts a Python policy pack (kind "analyzer") behind the SDK's policy proxy, which
// hands the pack the stack's project, stack name and config, or any other Python plugin.
// Policy packs are not plugins for the virtualenv default (the official host passes
// isPlugin=false for analyzers): without a virtualenv option they run on the Python on PATH.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	ctx := server.Context()
	isAnalyzer := req.GetKind() == string(apitype.AnalyzerPlugin)
	tc, err := resolveToolchain(req.GetInfo(), !isAnalyzer)
	if err != nil {
		return err
	}
	programDir := req.GetInfo().GetProgramDirectory()
	if isAnalyzer {
		// Before the proxy starts: once it has, the engine waits for the pack for good.
		if err := missingInterpreter(ctx, tc, req.GetInfo()); err != nil {
			return err
		}
	} else if err := tc.ValidateVenv(ctx); err != nil {
		return err
	}

	var args []string
	if isAnalyzer {
		args = append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
		args = append(args, programDir)
	} else {
		args = append([]string{programDir}, req.GetArgs()...)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	var proxy *sdk.PolicyProxy
	if isAnalyzer {
		cmd.Dir = programDir
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		config, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get the stack configuration: %w", err)
		}
		if config != nil {
			setEnv := func(k, v string) {
				if v != "" {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			setEnv("PULUMI_ORGANIZATION", config.GetOrganization())
			setEnv("PULUMI_PROJECT", config.GetProject())
			setEnv("PULUMI_STACK", config.GetStack())
			setEnv("PULUMI_DRY_RUN", strconv.FormatBool(config.GetDryRun()))
			if config.GetConfig() != nil {
				encoded, err := json.Marshal(config.GetConfig())
				if err != nil {
					return fmt.Errorf("could not serialize the stack configuration: %w", err)
				}
				setEnv("PULUMI_CONFIG", string(encoded))
			}
		}
	} else {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start the Python plugin: %w", err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
			})
		}
		return err
	}
	return closer.Close()
}

// InstallDependencies is `pulumi install` (and the engine's installs for plugins): it creates the
// virtualenv the options name and installs requirements.txt from the program folder. Without a
// virtualenv option a program's dependencies go to the Python on PATH, as with the official host.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	tc, err := resolveToolchain(req.GetInfo(), req.GetIsPlugin())
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	programDir := req.GetInfo().GetProgramDirectory()
	ctx := server.Context()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if req.GetIsPlugin() {
		// A plugin that is a buildable package is installed itself, besides its requirements.
		buildable, err := toolchain.IsBuildablePackage(programDir)
		if err != nil {
			return fmt.Errorf("checking whether the plugin is a buildable package: %w", err)
		}
		if buildable {
			if err := tc.InstallPackage(ctx, programDir, req.GetUseLanguageVersionTools(), true,
				stdout, stderr); err != nil {
				return err
			}
		}
	}
	if err := tc.InstallDependencies(ctx, programDir, req.GetUseLanguageVersionTools(), true,
		stdout, stderr); err != nil {
		return fmt.Errorf("installing Python dependencies: %w", err)
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// RuntimeOptionsPrompts offers `pulumi new` the same choices as the official host: a toolchain
// when none is set, and a `venv` virtualenv for pip.
func (h *languageHost) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	options := req.GetInfo().GetOptions().AsMap()
	var prompts []*pulumirpc.RuntimeOptionPrompt
	chosen, hasToolchain := options["toolchain"]
	if !hasToolchain {
		pip := &pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{
			PromptType: pulumirpc.RuntimeOptionPrompt_STRING, StringValue: "pip", DisplayName: "pip",
		}
		choices := append([]*pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{pip},
			plugin.MakeExecutablePromptChoices("poetry", "uv")...)
		prompts = append(prompts, &pulumirpc.RuntimeOptionPrompt{
			Key:         "toolchain",
			Description: "The toolchain to use for installing dependencies and running the program",
			PromptType:  pulumirpc.RuntimeOptionPrompt_STRING,
			Choices:     choices,
			Default:     pip,
		})
	}
	if _, hasVenv := options["virtualenv"]; hasToolchain && chosen == "pip" && !hasVenv {
		venv := &pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{
			PromptType: pulumirpc.RuntimeOptionPrompt_STRING, StringValue: "venv",
		}
		prompts = append(prompts, &pulumirpc.RuntimeOptionPrompt{
			Key:         "virtualenv",
			Description: "The virtualenv to use",
			PromptType:  pulumirpc.RuntimeOptionPrompt_STRING,
			Choices:     []*pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{venv},
			Default:     venv,
		})
	}
	return &pulumirpc.RuntimeOptionsResponse{Prompts: prompts}, nil
}

// Template prepares a new project for its toolchain (`pulumi new`), as the official host does.
func (h *languageHost) Template(ctx context.Context, req *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	tc, err := resolveToolchain(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.PrepareProject(ctx, req.GetProjectName(), req.GetInfo().GetProgramDirectory(), false,
		nil, nil); err != nil {
		return nil, err
	}
	return &pulumirpc.TemplateResponse{}, nil
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	// An old engine sends no program info: the official host then reports the pip toolchain.
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		parsed, err := parseOptions(req.GetInfo(), false)
		if err != nil {
			return nil, err
		}
		opts = parsed
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(opts.Toolchain),
			"toolchainVersion": info.ToolchainVersion.String(),
			"typechecker":      toolchain.TypeCheckerName(opts.Typechecker),
		},
	}, nil
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := resolveToolchain(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	result := make([]*pulumirpc.DependencyInfo, 0, len(packages))
	for _, p := range packages {
		result = append(result, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: result}, nil
}
