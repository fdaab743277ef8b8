using Xent.Cli;

return XentApp.Run(args, CliConsole.System());
