--[[
tools/tangle.lua: the tangler of the Torchlet book.

It reads the literate chapters (chapters/NN-name/NN-name.md), collects their code
blocks and writes the source files they describe (lib/, labs/, ...) plus, for
every chapter with lab cells, the expected output of each cell.

Invocation (from the repository root; this is what the Makefile's `tangle` runs):

    pandoc -f commonmark -t plain -o /dev/null --lua-filter tools/tangle.lua \
           -M tangle_root=. -M expected_dir=build/expected \
           -M chapter=chapters/00-setup/00-setup.md -M chapter=chapters/01-tensors/01-tensors.md ... \
           /dev/null

  chapter       a chapter file, repeated once per chapter, in book order. Without any
                -M chapter, pandoc's own input files are the chapters instead:
                `pandoc -f commonmark -t plain -o /dev/null --lua-filter tools/tangle.lua chapters/*/*.md`
  tangle_root   root folder the file= paths are written under (default: ".", the
                repository root; the test suite tangles into a temporary folder)
  expected_dir  folder for the NN-name.expected files (default: TANGLE_ROOT/build/expected)
  verbose=1     print one line per file written or left unchanged

pandoc's own document (/dev/null) is ignored: every chapter is read by this filter
with pandoc.read(..., "commonmark_x+sourcepos"), so each code block knows its chapter
and line. Chapter paths are used as given (relative to the repository root) in
messages and #line directives.

Chunk syntax (Entangled's dialect):
    ``` {.c file=lib/tensor.c}   a tangle target; the same file= again in the
                                 same chapter appends to it
    ``` {.c #tensor-struct}      a named chunk; the same name again appends
        <<tensor-struct>>        alone on a line: expands the chunk, every line
                                 prefixed with the reference's indentation
    ``` {.output source="000:211-212"}   expected output of the lab cell in the
    ``` {.output derived="PyTorch 1.13.1"} code block just before it;
    ``` {.output compare=none}   machine-dependent: shown, not compared
                                 (source/derived optional then)

Every generated file starts with a "generated from ..." comment; C-family files
carry `#line N "chapters/..."` directives so gcc, gdb and ASan point into the
chapter. A file is written only when its content changed (stable mtimes).

Errors print `chapters/NN-x/NN-x.md:LINE: error: ...` on stderr; when there is
any, nothing is written and pandoc exits with status 1. Errors: a reference to a
missing chunk, a reference cycle, one file written by two chapters, a file= or
#name block without a language class, a bad chunk name, an output block that
does not follow a cell. A chunk that is never used is a warning.
]]

local NAME_PATTERN = "^[A-Za-z0-9_:%-]+$"
local REF_PATTERN = "^(%s*)<<([A-Za-z0-9_:%-]+)>>%s*$"

-- ---------------------------------------------------------------------------
-- Diagnostics: collected, then printed in one go

local diagnostics = {}   -- { chapter, line, text }
local error_count = 0
local chapter_rank = {}  -- chapter -> position in the input list, for sorting

local function where(chapter, line)
  return chapter .. ":" .. tostring(line)
end

local function report(chapter, line, kind, message)
  table.insert(diagnostics, { chapter = chapter, line = line,
                              text = where(chapter, line) .. ": " .. kind .. ": " .. message })
  if kind == "error" then error_count = error_count + 1 end
end

local function report_error(chapter, line, message) report(chapter, line, "error", message) end
local function report_warning(chapter, line, message) report(chapter, line, "warning", message) end

-- Print every diagnostic in chapter order; on any error, stop before writing.
local function flush_diagnostics()
  table.sort(diagnostics, function(a, b)
    local ra, rb = chapter_rank[a.chapter] or 0, chapter_rank[b.chapter] or 0
    if ra ~= rb then return ra < rb end
    if a.line ~= b.line then return a.line < b.line end
    return a.text < b.text
  end)
  for _, d in ipairs(diagnostics) do io.stderr:write(d.text, "\n") end
  if error_count > 0 then
    io.stderr:write("tangle: ", error_count, " error(s); no file written\n")
    os.exit(1)
  end
end

-- ---------------------------------------------------------------------------
-- Small file helpers

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Write `text` to `path` unless the file already holds exactly that text.
-- Returns "written" or "unchanged".
local function write_if_changed(path, text)
  if read_file(path) == text then return "unchanged" end
  local dir = pandoc.path.directory(path)
  if dir ~= "" and dir ~= "." then
    os.execute("mkdir -p " .. shell_quote(dir))
  end
  local f, err = io.open(path, "wb")
  if not f then
    io.stderr:write("tangle: cannot write ", path, ": ", tostring(err), "\n")
    os.exit(1)
  end
  f:write(text)
  f:close()
  return "written"
end

local function split_lines(text)
  local lines = {}
  text = text:gsub("\r\n", "\n")
  for line in (text .. "\n"):gmatch("(.-)\n") do table.insert(lines, line) end
  return lines
end

-- The chapter path as it appears in messages and #line: relative to the cwd
-- (the repository root), with "./" and "//" cleaned away.
local function chapter_name(path)
  path = pandoc.path.normalize(path)
  if pandoc.path.is_absolute(path) then
    path = pandoc.path.make_relative(path, pandoc.system.get_working_directory())
  end
  return path
end

-- ---------------------------------------------------------------------------
-- Reading chapters into blocks

-- First line of a fenced code block's content: the line after the fence.
-- data-pos looks like "5:1-9:1" (or "file@5:1-9:1").
local function content_line(codeblock)
  local pos = codeblock.attributes["data-pos"] or ""
  local fence = tonumber(pos:match("(%d+):%d+%-%d+:%d+$"))
  return fence and fence + 1 or 1
end

-- cell_title(code), has_class(block, class): shared with tools/weave.lua
local literate = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "literate.lua" }))
local cell_title, has_class = literate.cell_title, literate.has_class

-- One record per code block that matters to the tangler.
--   kind   "code" (file= and/or #name, or a cell) or "output"
--   chapter, line (first content line), text, lines
--   file, name, cell (title), attributes (for output blocks)
local function read_chapter(chapter)
  local text = read_file(chapter)
  if not text then
    io.stderr:write("tangle: cannot read ", chapter, "\n")
    os.exit(1)
  end
  local doc = pandoc.read(text, "commonmark_x+sourcepos")
  local blocks = {}
  doc:walk{
    CodeBlock = function(cb)
      local block = {
        chapter = chapter,
        line = content_line(cb),
        text = cb.text,
        lines = split_lines(cb.text),
        attributes = cb.attributes,
      }
      if has_class(cb, "output") then
        block.kind = "output"
      else
        block.kind = "code"
        block.file = cb.attributes["file"]
        block.name = cb.identifier ~= "" and cb.identifier or nil
        block.cell = cell_title(cb.text)
        block.language = cb.classes[1]
      end
      table.insert(blocks, block)
    end
  }
  return blocks
end

-- ---------------------------------------------------------------------------
-- Building the chunk tables

-- files[path]  = { chapter = first chapter, parts = {block, ...} }
-- chunks[name] = { parts = {block, ...} }
local function collect(all_blocks)
  local files, file_order, chunks = {}, {}, {}
  for _, b in ipairs(all_blocks) do
    if b.kind == "code" and (b.file or b.name) then
      local fence_line = b.line - 1
      if not b.language then
        report_error(b.chapter, fence_line,
          "code block " .. (b.file and ("file=" .. b.file) or ("#" .. b.name)) ..
          " has no language class (write ``` {.c ...})")
      end
      if b.name and not b.name:match(NAME_PATTERN) then
        report_error(b.chapter, fence_line,
          "chunk name '" .. b.name .. "' must match [A-Za-z0-9_:-]+")
      end
      if b.file then
        if pandoc.path.is_absolute(b.file) or b.file:match("%.%.") then
          report_error(b.chapter, fence_line,
            "file=" .. b.file .. " must be a relative path inside the repository")
        end
        local target = files[b.file]
        if not target then
          target = { chapter = b.chapter, parts = {} }
          files[b.file] = target
          table.insert(file_order, b.file)
        elseif target.chapter ~= b.chapter then
          local first = target.parts[1]
          report_error(b.chapter, fence_line,
            "file " .. b.file .. " is already written by " ..
            where(first.chapter, first.line - 1) ..
            "; one file belongs to one chapter")
        end
        table.insert(target.parts, b)
      end
      if b.name then
        chunks[b.name] = chunks[b.name] or { parts = {} }
        table.insert(chunks[b.name].parts, b)
      end
    end
  end
  return files, file_order, chunks
end

-- Every reference must name a defined chunk; every chunk should be used.
local function check_references(all_blocks, chunks)
  local used = {}
  for _, b in ipairs(all_blocks) do
    if b.kind == "code" and (b.file or b.name) then
      for i, line in ipairs(b.lines) do
        local _, ref = line:match(REF_PATTERN)
        if ref then
          used[ref] = true
          if not chunks[ref] then
            report_error(b.chapter, b.line + i - 1,
              "reference to undefined chunk <<" .. ref .. ">>")
          end
        end
      end
    end
  end
  for name, chunk in pairs(chunks) do
    local first = chunk.parts[1]
    if not used[name] and not first.file and name:match(NAME_PATTERN) then
      report_warning(first.chapter, first.line - 1,
        "chunk <<" .. name .. ">> is defined but never used")
    end
  end
end

-- A cycle would make the expansion endless: find one with a depth-first walk.
local function check_cycles(chunks)
  local state = {}   -- nil: new, "open": on the current path, "done"
  local path = {}
  local function visit(name)
    state[name] = "open"
    table.insert(path, name)
    for _, part in ipairs(chunks[name].parts) do
      for i, line in ipairs(part.lines) do
        local _, ref = line:match(REF_PATTERN)
        if ref and chunks[ref] then
          if state[ref] == "open" then
            local cycle = {}
            local start
            for k, n in ipairs(path) do if n == ref then start = k end end
            for k = start, #path do table.insert(cycle, "<<" .. path[k] .. ">>") end
            table.insert(cycle, "<<" .. ref .. ">>")
            report_error(part.chapter, part.line + i - 1,
              "reference cycle: " .. table.concat(cycle, " -> "))
            return false
          elseif state[ref] == nil then
            if not visit(ref) then return false end
          end
        end
      end
    end
    table.remove(path)
    state[name] = "done"
    return true
  end
  local names = {}
  for name in pairs(chunks) do table.insert(names, name) end
  table.sort(names)
  for _, name in ipairs(names) do
    if state[name] == nil and not visit(name) then return end
  end
end

-- ---------------------------------------------------------------------------
-- Expansion

local C_FAMILY = { c = true, h = true, cu = true, cuh = true, cc = true,
                   cpp = true, hpp = true, cxx = true }
local HASH_COMMENT = { sh = true, py = true, mk = true, txt = true, cmake = true,
                       yml = true, yaml = true, toml = true, [""] = true }

-- How a generated file says where it comes from, by its extension.
local function file_style(path)
  local ext = (path:match("%.([%w]+)$") or ""):lower()
  local base = pandoc.path.filename(path)
  if C_FAMILY[ext] then
    return { comment = function(s) return "/* " .. s .. " */" end, line_directives = true }
  elseif HASH_COMMENT[ext] or base == "Makefile" then
    return { comment = function(s) return "# " .. s end }
  else
    return { comment = nil }
  end
end

-- Append the lines of `block` to `out`, expanding references recursively.
local function expand_block(block, indent, chunks, style, out)
  local function line_directive(n)
    if style.line_directives then
      table.insert(out, string.format('#line %d "%s"', n, block.chapter))
    end
  end
  line_directive(block.line)
  for i, line in ipairs(block.lines) do
    local ref_indent, ref = line:match(REF_PATTERN)
    if ref then
      for _, part in ipairs(chunks[ref].parts) do
        expand_block(part, indent .. ref_indent, chunks, style, out)
      end
      if i < #block.lines then line_directive(block.line + i) end
    elseif line == "" then
      table.insert(out, "")
    else
      table.insert(out, indent .. line)
    end
  end
end

local function tangle_file(path, target, chunks)
  local style = file_style(path)
  local out = {}
  if style.comment then
    table.insert(out, style.comment("generated from " .. target.chapter ..
      " by tools/tangle.lua; edit the chapter, not this file"))
  end
  for _, part in ipairs(target.parts) do
    expand_block(part, "", chunks, style, out)
  end
  return table.concat(out, "\n") .. "\n"
end

-- ---------------------------------------------------------------------------
-- Expected outputs of the lab cells

local function expected_record(output, cell_block)
  local a = output.attributes
  local compare = a.compare or "tokens"
  if compare ~= "tokens" and compare ~= "none" then
    report_error(output.chapter, output.line - 1,
      "compare=" .. compare .. " is not known (use compare=none or leave it out)")
  end
  -- Where the expected text comes from; a machine-dependent output may have no source.
  local source = "none"
  if a.source then
    source = a.source
  elseif a.derived then
    source = "derived: " .. a.derived
  elseif compare ~= "none" then
    report_error(output.chapter, output.line - 1,
      'output block needs source="..." (tutorial lines), derived="..." or compare=none')
  end
  local text = output.text
  local lines = {
    "@@ cell: " .. cell_block.cell,
    "@@ source: " .. source,
    "@@ compare: " .. compare,
  }
  -- a cell that needs hardware (needs="cuda") is skipped by the doc test where the lab says so
  if a.needs then table.insert(lines, "@@ needs: " .. a.needs) end
  table.insert(lines, "@@ at: " .. where(output.chapter, output.line))
  if text ~= "" then table.insert(lines, text) end
  table.insert(lines, "@@ end")
  return table.concat(lines, "\n") .. "\n"
end

-- Returns { [chapter] = text } for chapters with at least one output block.
local function collect_expected(blocks_by_chapter, chapters)
  local result = {}
  for _, chapter in ipairs(chapters) do
    local records, seen = {}, {}
    local previous = nil   -- the previous code block of this chapter
    for _, b in ipairs(blocks_by_chapter[chapter]) do
      if b.kind == "output" then
        if not (previous and previous.kind == "code" and previous.cell) then
          report_error(b.chapter, b.line - 1,
            'output block does not follow a lab cell (a code block with TL_CELL("title");)')
        elseif seen[previous.cell] then
          report_error(b.chapter, b.line - 1,
            'second output block for cell "' .. previous.cell .. '" (first at ' ..
            seen[previous.cell] .. ")")
        else
          seen[previous.cell] = where(b.chapter, b.line - 1)
          table.insert(records, expected_record(b, previous))
        end
      end
      previous = b
    end
    if #records > 0 then result[chapter] = table.concat(records) end
  end
  return result
end

-- ---------------------------------------------------------------------------
-- Main

local function option(meta, key, default)
  local value = meta[key]
  if value == nil then return default end
  return pandoc.utils.stringify(value)
end

-- The chapters: every -M chapter=PATH (one gives a string, several a list),
-- or else pandoc's input files.
local function chapter_paths(meta)
  local given = meta.chapter
  if given == nil then
    local paths = {}   -- pandoc's inputs, less a placeholder /dev/null or stdin
    for _, input in ipairs(PANDOC_STATE.input_files) do
      if input ~= "/dev/null" and input ~= "-" then table.insert(paths, input) end
    end
    return paths
  end
  if type(given) == "string" or given.t then return { pandoc.utils.stringify(given) } end
  local paths = {}
  for _, item in ipairs(given) do table.insert(paths, pandoc.utils.stringify(item)) end
  return paths
end

function Pandoc(doc)
  local out_root = option(doc.meta, "tangle_root", ".")
  local expected_dir = option(doc.meta, "expected_dir",
                              pandoc.path.join{out_root, "build", "expected"})
  local verbose = option(doc.meta, "verbose", "0") == "1"

  local chapters, all_blocks, blocks_by_chapter = {}, {}, {}
  for _, input in ipairs(chapter_paths(doc.meta)) do
    local chapter = chapter_name(input)
    if not blocks_by_chapter[chapter] then
      table.insert(chapters, chapter)
      chapter_rank[chapter] = #chapters
      blocks_by_chapter[chapter] = read_chapter(chapter)
      for _, b in ipairs(blocks_by_chapter[chapter]) do table.insert(all_blocks, b) end
    end
  end

  local files, file_order, chunks = collect(all_blocks)
  check_references(all_blocks, chunks)
  check_cycles(chunks)
  local expected = collect_expected(blocks_by_chapter, chapters)
  flush_diagnostics()   -- exits on error, before anything is written

  local function save(path, text)
    local status = write_if_changed(path, text)
    if verbose then io.stderr:write("tangle: ", status, " ", path, "\n") end
  end
  for _, path in ipairs(file_order) do
    save(pandoc.path.normalize(pandoc.path.join{out_root, path}), tangle_file(path, files[path], chunks))
  end
  for _, chapter in ipairs(chapters) do
    if expected[chapter] then
      local stem = pandoc.path.split_extension(pandoc.path.filename(chapter))
      save(pandoc.path.normalize(pandoc.path.join{expected_dir, stem .. ".expected"}),
           expected[chapter])
    end
  end
  return doc
end
