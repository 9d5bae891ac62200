using System.CommandLine;
using System.Text;
using KnowledgeQa.Cli.Commands;
using KnowledgeQa.Cli.Infrastructure;

Console.OutputEncoding = Encoding.UTF8;

var root = new RootCommand("kqa: knowledge-base search, answers and classification on local models");
foreach (var option in GlobalOptions.All.Concat(EmbeddingFlags.All))
    root.Options.Add(option);
root.Subcommands.Add(IngestCommand.Create());
root.Subcommands.Add(SearchCommand.Create());
root.Subcommands.Add(DocumentCommands.CreateList());
root.Subcommands.Add(DocumentCommands.CreateDelete());
root.Subcommands.Add(AskCommand.Create());
root.Subcommands.Add(ChatCommand.Create());
root.Subcommands.Add(ClassifyCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(RepairCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(McpCommand.Create());

var exitCode = await root.Parse(args).InvokeAsync();
StartupTimings.Report();
return exitCode;
