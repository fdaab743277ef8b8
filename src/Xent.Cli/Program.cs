using Xent.Cli;

using var interrupts = new Interrupts();
return XentApp.Run(args, CliConsole.System(), interrupts.Token, () => interrupts.ExitCode);
