--[[
tools/weave.lua: the weaver of the Torchlet book.

It renders the literate chapters as an offline HTML book: BOOK/index.html (the
front page book/front.md + a table of contents made of the chapters' first
headings) and one page BOOK/NN-name.html per chapter, with prev/next links.
tools/weave.sh runs it (the Makefile's `book` target calls `tools/weave.sh build`):

    pandoc -f commonmark -t html5 -s --mathml --template book/template.html \
           --lua-filter tools/weave.lua -M outputs_dir=build/out \
           -M chapter=chapters/00-setup/00-setup.md -M chapter=... \
           -o build/book/index.html /dev/null

  chapter       a chapter file, repeated once per chapter, in book order
                (without any, pandoc's input files are the chapters)
  outputs_dir   where the labs' outputs are: NN-name.txt (default: build/out)
  front         the front page's Markdown (default: book/front.md)
  style         the stylesheet copied beside the pages (default: book/style.css)
The book folder is the folder of -o; the index page is pandoc's own output, the
chapter pages are written by this filter with the same writer options (template,
MathML, highlighting).

What the weaver adds to each page:
- a label above every tangled block: «name»= for a chunk's first definition,
  «name»+= for an addition, «lib/tensor.c»= for a file; additions link back to
  the first definition; every block gets a unique HTML id (chunk-name, chunk-name-2, ...);
- every `<<ref>>` line in code becomes a link to the chunk's first definition,
  on whichever page it is;
- every output block shows the REAL output of its lab cell, taken from
  OUTPUTS_DIR/NN-name.txt (cells there start with a line "── [K] title ───…"),
  with a caption saying where the expected text comes from; a lab that was not
  run shows the expected text marked "not run";
- figures (relative image paths beside the chapter) are copied to BOOK/NN-name/;
- figures drawn by the chapter's lab, written `![caption](figure:NAME.svg)`, are
  taken from OUTPUTS_DIR/NN-name/NAME.svg (where the build renders the lab's
  Graphviz files) and copied to BOOK/NN-name/; a figure the lab has not drawn
  becomes a visible placeholder "figure not drawn: run the lab", never a broken
  image;
- a ``` {.capture from="FILE" command="..."} ``` block shows OUTPUTS_DIR/FILE, a run the build
  captured outside the doc test (chapter 09's two ranks under mpirun), or its own text marked
  "not run" when the file is missing;
- links to another chapter's .md become links to its page.
Nothing is loaded from the network: the CSS is a local file, math is MathML and
the code is highlighted by pandoc itself.
]]

local REF_PATTERN = "^(%s*)<<([A-Za-z0-9_:%-]+)>>%s*$"
local PLACEHOLDER = "TLWEAVEREF%dX"          -- stands for a <<ref>> during highlighting
local PLACEHOLDER_PATTERN = "TLWEAVEREF(%d+)X"

-- ---------------------------------------------------------------------------
-- Small helpers

local function warn(message)
  io.stderr:write("weave: warning: ", message, "\n")
end

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

local function make_dirs(dir)
  if dir ~= "" and dir ~= "." then os.execute("mkdir -p " .. shell_quote(dir)) end
end

-- Write only when the content changed, so unchanged pages keep their mtime.
local function write_file(path, text)
  if read_file(path) == text then return end
  make_dirs(pandoc.path.directory(path))
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function option(meta, key, default)
  local value = meta[key]
  if value == nil then return default end
  return pandoc.utils.stringify(value)
end

-- Every -M chapter=PATH (one gives a string, several a list), else pandoc's inputs.
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

local function html_escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

-- cell_title(code), has_class(element, class): shared with tools/tangle.lua
local literate = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "literate.lua" }))
local cell_title, has_class = literate.cell_title, literate.has_class

-- ---------------------------------------------------------------------------
-- Pass 1: read every chapter, name its page, give every tangled block an id

-- chapter = { path, stem ("01-tensors"), page ("01-tensors.html"), dir, title, doc }
local function read_chapter(path)
  local text = read_file(path)
  if not text then
    io.stderr:write("weave: cannot read ", path, "\n")
    os.exit(1)
  end
  local stem = pandoc.path.split_extension(pandoc.path.filename(path))
  local chapter = {
    path = path,
    stem = stem,
    page = stem .. ".html",
    dir = pandoc.path.directory(path),
    doc = pandoc.read(text, "commonmark_x"),
  }
  chapter.doc:walk{
    Header = function(h)
      if not chapter.title then chapter.title = pandoc.utils.stringify(h.content) end
    end
  }
  chapter.title = chapter.title or stem
  return chapter
end

-- The HTML id base of a chunk or file label: "chunk-" + the name with every
-- character outside [A-Za-z0-9_-] turned into "-".
local function id_base(key)
  return "chunk-" .. key:gsub("[^A-Za-z0-9_%-]", "-")
end

-- Annotates every tangled code block with weave-label/weave-id/weave-first and
-- fills `chunks`: key -> { page, id } of its first definition.
local function index_chunks(chapters)
  local chunks = {}
  for _, chapter in ipairs(chapters) do
    local taken = {}   -- ids already used on this page
    chapter.doc:walk{ Header = function(h) taken[h.identifier] = true end }
    local function unique_id(key)
      local base, n = id_base(key), 1
      local id = base
      while taken[id] do
        n = n + 1
        id = base .. "-" .. n
      end
      taken[id] = true
      return id
    end
    chapter.doc = chapter.doc:walk{
      CodeBlock = function(cb)
        local key = cb.attributes["file"] or (cb.identifier ~= "" and cb.identifier or nil)
        if not key then return nil end
        local id = unique_id(key)
        local first = chunks[key]
        if not first then
          first = { page = chapter.page, id = id }
          chunks[key] = first
        end
        cb.attributes["weave-key"] = key
        cb.attributes["weave-id"] = id
        cb.attributes["weave-first"] = (first.id == id and first.page == chapter.page) and "1" or "0"
        return cb
      end
    }
  end
  return chunks
end

-- ---------------------------------------------------------------------------
-- The labs' real outputs

-- OUTPUTS_DIR/NN-name.txt split into cells: title -> text, or nil if the lab
-- was not run. A cell starts with "── [K] title ───…".
local function read_lab_output(path)
  local text = read_file(path)
  if not text then return nil end
  local cells, current = {}, nil
  for line in (text:gsub("\r\n", "\n") .. "\n"):gmatch("(.-)\n") do
    local rest = line:match("^── %[%d+%] (.*)$")
    if rest then
      while rest:sub(-3) == "─" do rest = rest:sub(1, -4) end
      current = { title = rest:gsub("%s+$", ""), lines = {} }
      cells[current.title] = current
    elseif current then
      table.insert(current.lines, line)
    end
  end
  local result = {}
  for title, cell in pairs(cells) do
    while #cell.lines > 0 and cell.lines[#cell.lines] == "" do table.remove(cell.lines) end
    result[title] = table.concat(cell.lines, "\n")
  end
  return result
end

-- ---------------------------------------------------------------------------
-- Pass 2: render one chapter

-- A code block of the book: label above, <<ref>> lines replaced by placeholders
-- that survive highlighting; `refs` collects what each placeholder becomes.
local function render_chunk(cb, chapter, chunks, refs)
  local key = cb.attributes["weave-key"]
  local first = chunks[key]
  local is_first = cb.attributes["weave-first"] == "1"
  local href = (first.page == chapter.page and "" or first.page) .. "#" .. first.id
  local label = pandoc.Link({ pandoc.Str("«" .. key .. "»" .. (is_first and "=" or "+=")) },
                            is_first and "#" .. cb.attributes["weave-id"] or href)

  local lines = {}
  for line in (cb.text .. "\n"):gmatch("(.-)\n") do
    local indent, ref = line:match(REF_PATTERN)
    if ref then
      table.insert(refs, ref)
      line = indent .. string.format(PLACEHOLDER, #refs)
    end
    table.insert(lines, line)
  end
  local code = pandoc.CodeBlock(table.concat(lines, "\n"), pandoc.Attr("", cb.classes))

  return pandoc.Div({ pandoc.Div({ pandoc.Plain({ label }) }, { class = "chunk-label" }), code },
                    { id = cb.attributes["weave-id"], class = "chunk" })
end

-- The HTML that replaces placeholder number k.
local function ref_html(name, chapter, chunks)
  local target = chunks[name]
  local text = "&lt;&lt;" .. html_escape(name) .. "&gt;&gt;"
  if not target then
    return '<span class="chunk-ref missing" title="no such chunk">' .. text .. "</span>"
  end
  local href = (target.page == chapter.page and "" or target.page) .. "#" .. target.id
  return '<a class="chunk-ref" href="' .. href .. '">' .. text .. "</a>"
end

-- An output block: the real output of the cell (or the expected text, marked).
local function render_output(cb, cell, real_outputs)
  local a = cb.attributes
  local where
  if a.source then
    where = "tutorial prints this at " .. a.source
  elseif a.derived then
    where = "derived with " .. a.derived
  end
  local text, class, caption
  local real = real_outputs and cell and real_outputs[cell]
  if real == nil then
    text, class = cb.text, "cell-output not-run"
    caption = { pandoc.Strong({ pandoc.Str("not run") }),
                pandoc.Str(" — expected output" .. (where and (", " .. where) or "")) }
  elseif a.needs and real:match("^skipped: needs") then
    -- hardware this machine lacks: the expected text, never passed off as a run
    text, class = cb.text, "cell-output not-run"
    caption = { pandoc.Strong({ pandoc.Str("not run: needs " .. a.needs) }),
                pandoc.Str(" — expected output" .. (where and (", " .. where) or "") ..
                           "; this machine printed: " .. real:gsub("\n.*", "")) }
  elseif a.compare == "none" then
    text, class = real, "cell-output this-machine"
    caption = { pandoc.Str("output of this machine") }
  else
    text, class = real, "cell-output"
    caption = { pandoc.Str(where or "output of the lab") }
  end
  return pandoc.Div({
    pandoc.CodeBlock(text, { class = "output" }),
    pandoc.Div({ pandoc.Plain(caption) }, { class = "output-caption" }),
  }, { class = class })
end

-- A captured run, ``` {.capture from="NN-name-np2.txt" command="..."}: the file
-- OUTPUTS_DIR/FROM, written by a Makefile rule (a lab run in a way the doc test
-- does not run it, e.g. under mpirun), shown as an output; the block's own text
-- is shown, marked "not run", when the file is missing.
local function render_capture(cb, options)
  local from = cb.attributes.from or ""
  local real = from:match("^[%w_.-]+$") and read_file(pandoc.path.join{ options.outputs_dir, from })
  local command = cb.attributes.command or from
  if real then
    real = real:gsub("\r\n", "\n"):gsub("%s+$", "")
    return pandoc.Div({
      pandoc.CodeBlock(real, { class = "output" }),
      pandoc.Div({ pandoc.Plain({ pandoc.Str("output of "), pandoc.Code(command), pandoc.Str(", captured by the build") }) },
                 { class = "output-caption" }),
    }, { class = "cell-output this-machine" })
  end
  warn("capture " .. from .. " not found in " .. options.outputs_dir .. " (is mpirun installed?)")
  return pandoc.Div({
    pandoc.CodeBlock(cb.text, { class = "output" }),
    pandoc.Div({ pandoc.Plain({ pandoc.Strong({ pandoc.Str("not run") }), pandoc.Str(" — expected output of "),
                                pandoc.Code(command) }) }, { class = "output-caption" }),
  }, { class = "cell-output not-run" })
end

-- Copies a figure beside the chapter into BOOK/NN-name/ and returns its new src.
local function copy_figure(src, chapter, book_dir)
  if src:match("^%a[%w+.-]*:") or pandoc.path.is_absolute(src) then
    if src:match("^https?:") then warn(chapter.path .. ": figure " .. src .. " is not offline") end
    return src
  end
  local data = read_file(pandoc.path.join{ chapter.dir, src })
  if not data then
    warn(chapter.path .. ": figure " .. src .. " not found beside the chapter")
    return src
  end
  local new_src = chapter.stem .. "/" .. src
  write_file(pandoc.path.join{ book_dir, new_src }, data)
  return new_src
end

-- A figure drawn by the chapter's lab, ![caption](figure:NAME): the file
-- OUTPUTS_DIR/NN-name/NAME is copied to BOOK/NN-name/NAME and the image points
-- there. Without the file (the lab was not run, or did not draw it) the image
-- becomes a visible placeholder with the caption, never a broken image.
local function lab_figure(img, name, chapter, options)
  local data
  if name:match("^[%w_.-]+$") and not name:match("^%.") then
    data = read_file(pandoc.path.join{ options.outputs_dir, chapter.stem, name })
  else
    warn(chapter.path .. ": figure:" .. name .. " must be a plain file name (no folders)")
  end
  if not data then
    local lab = chapter.stem:match("^(%d+)") or chapter.stem
    warn(chapter.path .. ": figure " .. name .. " was not drawn; run the lab (./build.sh lab " .. lab .. ")")
    -- raw HTML for the notice, so that the writer never breaks its words over two lines
    local text = { pandoc.RawInline("html", "<strong>figure not drawn: run the lab</strong>"),
                   pandoc.Str(" (" .. name .. ", drawn by build/labs/" .. chapter.stem .. ")") }
    if #img.caption > 0 then
      table.insert(text, pandoc.Str(": "))
      for _, inline in ipairs(img.caption) do table.insert(text, inline) end
    end
    return pandoc.Span(text, { class = "figure-missing",
      style = "display: block; border: 1px dashed #b85450; padding: 0.6em 1em; color: #7a3b37" })
  end
  local new_src = chapter.stem .. "/" .. name
  write_file(pandoc.path.join{ options.book_dir, new_src }, data)
  img.src = new_src
  return img
end

-- Renders a chapter page and returns its HTML.
local function render_chapter(chapter, index, chapters, chunks, options)
  local refs = {}
  local real_outputs = read_lab_output(pandoc.path.join{ options.outputs_dir, chapter.stem .. ".txt" })
  local page_by_md = {}
  for _, c in ipairs(chapters) do page_by_md[pandoc.path.filename(c.path)] = c.page end

  local previous_cell = nil   -- the cell title of the last code block seen
  local doc = chapter.doc:walk{
    CodeBlock = function(cb)
      if has_class(cb, "output") then
        local rendered = render_output(cb, previous_cell, real_outputs)
        previous_cell = nil
        return rendered
      end
      if has_class(cb, "capture") then return render_capture(cb, options) end
      previous_cell = cell_title(cb.text)
      if cb.attributes["weave-key"] then return render_chunk(cb, chapter, chunks, refs) end
      cb.identifier = ""   -- never a duplicate id
      return cb
    end,
    Image = function(img)
      local drawn = img.src:match("^figure:(.*)$")
      if drawn then return lab_figure(img, drawn, chapter, options) end
      img.src = copy_figure(img.src, chapter, options.book_dir)
      return img
    end,
    Link = function(link)
      local file, anchor = link.target:match("^([^#]*%.md)(#?.*)$")
      if file and page_by_md[pandoc.path.filename(file)] then
        link.target = page_by_md[pandoc.path.filename(file)] .. anchor
        return link
      end
    end,
  }

  local meta = doc.meta
  meta.pagetitle = chapter.title
  meta["book-index"] = "index.html"
  local prev, next = chapters[index - 1], chapters[index + 1]
  if prev then meta["prev-href"], meta["prev-title"] = prev.page, prev.title end
  if next then meta["next-href"], meta["next-title"] = next.page, next.title end

  local html = pandoc.write(doc, "html5", PANDOC_WRITER_OPTIONS)
  return (html:gsub(PLACEHOLDER_PATTERN, function(k)
    return ref_html(refs[tonumber(k)], chapter, chunks)
  end))
end

-- ---------------------------------------------------------------------------
-- The front page: book/front.md + the table of contents

local function front_page(chapters, options)
  local text = read_file(options.front) or "# Torchlet\n"
  local doc = pandoc.read(text, "commonmark_x")
  local items = {}
  for _, c in ipairs(chapters) do
    local number = c.stem:match("^(%d+)") or ""
    table.insert(items, { pandoc.Plain({
      pandoc.Span({ pandoc.Str(number) }, { class = "toc-number" }), pandoc.Space(),
      pandoc.Link({ pandoc.Str(c.title) }, c.page) }) })
  end
  doc.blocks:insert(pandoc.Header(2, { pandoc.Str("Contents") }, { id = "contents" }))
  doc.blocks:insert(pandoc.Div({ pandoc.BulletList(items) }, { class = "toc" }))
  doc.meta.pagetitle = "Torchlet"
  doc.meta["is-index"] = true
  if chapters[1] then
    doc.meta["next-href"], doc.meta["next-title"] = chapters[1].page, chapters[1].title
  end
  return doc
end

-- ---------------------------------------------------------------------------
-- Main

function Pandoc(doc)
  local output = PANDOC_STATE.output_file
  if not output or output == "-" then
    io.stderr:write("weave: give the index page with -o BOOK/index.html\n")
    os.exit(1)
  end
  local options = {
    book_dir = pandoc.path.directory(output),
    outputs_dir = option(doc.meta, "outputs_dir", "build/out"),
    front = option(doc.meta, "front", "book/front.md"),
    style = option(doc.meta, "style", "book/style.css"),
  }
  make_dirs(options.book_dir)

  local chapters = {}
  for _, path in ipairs(chapter_paths(doc.meta)) do
    table.insert(chapters, read_chapter(path))
  end
  local chunks = index_chunks(chapters)
  for i, chapter in ipairs(chapters) do
    write_file(pandoc.path.join{ options.book_dir, chapter.page },
               render_chapter(chapter, i, chapters, chunks, options))
  end

  local css = read_file(options.style)
  if css then
    write_file(pandoc.path.join{ options.book_dir, "style.css" }, css)
  else
    warn("stylesheet " .. options.style .. " not found")
  end
  return front_page(chapters, options)
end
