"""The `Assistant`: the public Python API that every front end (HTTP, Slack, CLI, evals) uses."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

from assistant.answer.compose import ComposeConfig, Templates, compose_answer
from assistant.answer.confidence import ConfidenceModel, load_confidence_model
from assistant.answer.conversations import ConversationStore
from assistant.answer.converse import Turn, rewrite_followup
from assistant.answer.reader import Reader, load_reader
from assistant.corpus.ingest import corpus_fingerprint
from assistant.errors import (
    AssistantError,
    IndexStaleError,
    IndexUnavailableError,
    InvalidInputError,
    NotFoundError,
)
from assistant.records import WHITESPACE, Answer, ChatReply, Correction, Document
from assistant.search.embed import Embedder, SentenceTransformerEmbedder
from assistant.search.indexing import CorpusSources, IndexDelta, chunking_of, load_live_index
from assistant.search.lexical import specificity, tokenize
from assistant.search.query_encoder import (
    OnnxInt8QueryEmbedder,
    OnnxQueryEmbedder,
    query_embedder_for,
)
from assistant.search.rerank import CrossEncoderReranker, Reranker, rerank
from assistant.search.retrieve import RetrievalConfig, retrieve
from assistant.search.spelling import SpellingCorrector
from assistant.search.store import IndexData, check_manifest, current_build_dir
from assistant.search.vectors import RequestCache
from assistant.settings import Settings

logger = logging.getLogger(__name__)

# Unicode White_Space, the set the request schemas' pattern excludes; not str.isspace()
_WHITESPACE_RE = re.compile(f"^[{WHITESPACE}]+|[{WHITESPACE}]+$")
_DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*$")


class Assistant:
    """Answers questions from one loaded index with cited excerpts, or abstains."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        data: IndexData,
        confidence_model: ConfidenceModel | None = None,
        templates: Templates | None = None,
        reranker: Reranker | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.data = data
        self.query_embedder: Embedder = query_embedder_for(
            embedder, settings.query_encoder, settings.model_cache_dir
        )
        self.reranker = reranker
        if reranker is None and settings.reranker is not None:
            self.reranker = CrossEncoderReranker(settings.reranker)
        self._conversations: ConversationStore | None = None
        self._admin_lock = threading.Lock()
        self._rejected_build: str | None = None  # a live build that failed to load
        self.confidence_model = confidence_model or load_confidence_model()
        self.templates = templates or Templates.load(settings.prompts_dir)
        self.retrieval_config = RetrievalConfig(
            top_k=settings.top_k,
            lexical_weight=settings.lexical_weight,
            fusion=settings.fusion,
            rrf_k=settings.rrf_k,
        )
        self._corrector: SpellingCorrector | None = None  # rebuilt when the index changes
        self.reader: Reader = reader or load_reader(settings.reader_dir)
        self.compose_config = ComposeConfig(
            max_sentences=settings.max_answer_sentences,
            min_confidence=settings.min_confidence,
            read_passages=settings.read_passages,
        )
        # load the stemmer, stop words and word frequencies now, not in the first request
        tokenize(["warm up"])
        specificity("warm")
        if settings.spelling:
            self.correct_spelling("warm up", data)  # the vocabulary too

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        check_corpus: bool = True,
    ) -> Assistant:
        """Load the index and the model named by the settings; refuse a stale index."""
        data = load_live_index(settings)
        fingerprint = None
        sources = CorpusSources.from_manifest(data.manifest) or CorpusSources.of(settings)
        wanted = Path(settings.corpus_dir).resolve()
        if check_corpus and len(sources.paths) == 1 and sources.paths[0].resolve() != wanted:
            raise IndexStaleError(
                f"the index was built from {sources.paths[0]}, the settings say "
                f"{settings.corpus_dir}: run `assistant index`"
            )
        if check_corpus and all(p.is_dir() for p in sources.paths):
            fingerprint = corpus_fingerprint(sources.load(settings))
        model_name = embedder.name if embedder is not None else settings.model
        check_manifest(
            data.manifest,
            model=model_name,
            corpus_fingerprint=fingerprint,
            chunking=chunking_of(settings),
            vector_store=settings.vector_store,
        )
        if embedder is None:
            embedder = SentenceTransformerEmbedder(settings.model, settings.embed_batch_size)
        return cls(settings, embedder, data)

    def validate_question(self, question: str) -> str:
        """The question stripped; raises InvalidInputError when empty or too long."""
        # the same test as the schemas' pattern NOT_BLANK: Unicode White_Space only, so control
        # characters such as U+001F count as content (str.strip would remove them)
        stripped = _WHITESPACE_RE.sub("", question) if isinstance(question, str) else ""
        if not stripped:
            raise InvalidInputError("question is empty: send a non-empty `question` string")
        if len(stripped) > self.settings.max_question_chars:
            raise InvalidInputError(
                f"question is {len(stripped)} characters; the limit is "
                f"{self.settings.max_question_chars}: shorten it"
            )
        return stripped

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer one standalone question from the corpus."""
        started = time.perf_counter()
        question = self.validate_question(question)
        config = self.retrieval_config
        if top_k is not None:
            if not 1 <= top_k <= 50:
                raise InvalidInputError(f"top_k is {top_k}; it must be between 1 and 50")
            config = replace(config, top_k=top_k)
        data = self.data  # one consistent index for the whole request
        if data.sentence_store.kind == "milvus":  # one round trip for the sentence vectors
            data = replace(data, sentence_store=RequestCache(data.sentence_store))
        asked = question
        corrections: list[Correction] = []
        if self.settings.spelling:
            question, corrections = self.correct_spelling(question, data)
        query_vector = self.query_embedder.encode([question])[0]
        encoded = time.perf_counter()
        if self.reranker is not None:
            deeper = replace(config, top_k=max(config.top_k, self.settings.rerank_depth))
            hits = rerank(question, retrieve(data, question, query_vector, deeper), self.reranker)
            hits = hits[: config.top_k]
        else:
            hits = retrieve(data, question, query_vector, config)
        retrieved = time.perf_counter()
        answer = compose_answer(
            question,
            query_vector,
            hits,
            data,
            self.reader,
            self.confidence_model,
            self.templates,
            self.compose_config,
        )
        done = time.perf_counter()
        timings = {
            "encode": round((encoded - started) * 1000, 2),
            "retrieve": round((retrieved - encoded) * 1000, 2),
            **answer.timings_ms,  # "read": the reader's share of composing
            "compose": round((done - retrieved) * 1000, 2),
        }
        if corrections:
            note = self.templates.spelling_note.safe_substitute(
                corrections="; ".join(f"“{c.word}” as “{c.corrected}”" for c in corrections)
            )
            answer = replace(
                answer, question=asked, text=f"{answer.text} {note}", corrections=tuple(corrections)
            )
        return replace(
            answer,
            retrieved=tuple(hits),
            index_version=data.build_dir.name,
            latency_ms=round((done - started) * 1000, 2),
            timings_ms=timings,
        )

    def correct_spelling(self, question: str, data: IndexData) -> tuple[str, list[Correction]]:
        """The question with rare words that no passage uses read as the corpus's nearest
        spelling (`assistant/spelling.py`), and the corrections made."""
        corrector = self._corrector
        if corrector is None or corrector.lexical is not data.lexical:
            corrector = self._corrector = SpellingCorrector(data.lexical, data.passages)
        return corrector(question)

    @property
    def conversations(self) -> ConversationStore:
        """The conversation store, opened on first use."""
        if self._conversations is None:
            path = self.settings.conversations_db or (
                Path(self.settings.index_dir) / "conversations.sqlite"
            )
            self._conversations = ConversationStore(
                path,
                max_turns=self.settings.conversation_max_turns,
                ttl_seconds=self.settings.conversation_ttl_hours * 3600,
            )
        return self._conversations

    def chat(
        self,
        message: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
        *,
        create: bool = False,
    ) -> ChatReply:
        """Answer the next message of a conversation (a new one when no id is given).

        A follow-up ("What did he say about it?") is rewritten into a standalone
        question from the earlier turns; the rewrite is what gets searched and returned.
        With `create`, an unknown id starts a conversation under that id (front ends
        that name conversations themselves, like a Slack thread, use it).
        """
        message = self.validate_question(message)
        history: list[Turn] = []
        if conversation_id is None:
            conversation_id = self.conversations.new_id()
        elif not create or self.conversations.exists(conversation_id):
            history = self.conversations.history(conversation_id)
        searched = rewrite_followup(message, history)
        answer = self.ask(searched, top_k=top_k)
        self.conversations.append(
            conversation_id,
            message,
            searched,
            answer.text,
            [c.quote for c in answer.citations],
        )
        return ChatReply(conversation_id, message, searched, answer)

    def answer_messages(
        self, questions: list[str], answers: list[str], top_k: int | None = None
    ) -> ChatReply:
        """Stateless chat (OpenAI style): earlier user questions and assistant answers in
        order, the last question last; nothing is stored."""
        if not questions:
            raise InvalidInputError("no user message: send at least one message with role user")
        history: list[Turn] = []
        for i, question in enumerate(questions[:-1]):
            searched = rewrite_followup(self.validate_question(question), history)
            quotes = (answers[i],) if i < len(answers) else ()
            history.append(Turn(question, searched, quotes))
        message = self.validate_question(questions[-1])
        searched = rewrite_followup(message, history)
        return ChatReply("", message, searched, self.ask(searched, top_k=top_k))

    @property
    def query_encoder_kind(self) -> str:
        """What encodes questions: onnx, int8, fp32 (torch) or a test embedder's name."""
        encoder = self.query_embedder
        if isinstance(encoder, OnnxQueryEmbedder):
            return "onnx"
        if isinstance(encoder, OnnxInt8QueryEmbedder):
            return "int8"
        if isinstance(encoder, SentenceTransformerEmbedder):
            return "fp32"
        return encoder.name

    @property
    def index_version(self) -> str:
        """The live build's name; changes with every index update."""
        return self.data.build_dir.name

    def upsert_document(
        self, doc_id: str, text: str, title: str | None = None, published: str | None = None
    ) -> IndexDelta:
        """Add or replace a document: written into the corpus folder (so a restart
        keeps it), indexed incrementally, and served as soon as the new build is live."""
        path = self._document_path(doc_id)
        content = (
            "".join(
                [
                    f"{title.strip()}\n" if title else "",
                    f"Published {published}\n" if published else "",
                ]
            )
            + text
        )
        if not content.strip():
            raise InvalidInputError("text is empty: send the document's text")
        return self._change_corpus(path, content)

    def delete_document(self, doc_id: str) -> IndexDelta:
        """Remove a document from the corpus folder and the index."""
        document = self.get_document(doc_id)
        path = Path(document.source_path or self._document_path(doc_id))
        return self._change_corpus(path, None)

    def _document_path(self, doc_id: str) -> Path:
        if len(doc_id) > 200 or not _DOC_ID_RE.match(doc_id) or ".." in doc_id.split("/"):
            raise InvalidInputError(
                f"document id {doc_id!r} is not allowed: use letters, digits, '_', '-', '.' "
                "and '/' between parts (at most 200 characters)"
            )
        existing = self.data.documents.get(doc_id)
        if existing is not None and existing.source_path:
            return Path(existing.source_path)
        return self._sources().paths[0] / f"{doc_id}.txt"

    def _sources(self) -> CorpusSources:
        return CorpusSources.from_manifest(self.data.manifest) or CorpusSources.of(self.settings)

    def _change_corpus(self, path: Path, content: str | None) -> IndexDelta:
        """Write (or delete) one corpus file and update the index; on failure the file
        is restored, so the corpus and the index never disagree."""
        from assistant.search.indexing import update_index

        with self._admin_lock:
            old = path.read_bytes() if path.is_file() else None
            try:
                if content is None:
                    path.unlink()
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_name(f".{path.name}.tmp")
                    tmp.write_text(content, encoding="utf-8")
                    os.replace(tmp, path)
                sources = self._sources()
                documents = sources.load(self.settings)
                _, delta = update_index(
                    documents, self.embedder, self.settings, previous=self.data, sources=sources
                )
                fresh = load_live_index(self.settings)
            except BaseException:
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    path.write_bytes(old)
                raise
            self.data = fresh  # one reference swap: requests see the old or the new build
            return delta

    def reload_if_changed(self) -> bool:
        """Serve the live build when another process made a new one live (`assistant
        index`, an admin call on another replica sharing the index folder). The current
        build keeps serving when the new one cannot be loaded or was built for another
        model, chunking or vector store; that build is reported once, not retried."""
        try:
            live = current_build_dir(Path(self.settings.index_dir)).name
        except IndexUnavailableError:
            return False
        if live in (self.data.build_dir.name, self._rejected_build):
            return False
        with self._admin_lock:
            if live == self.data.build_dir.name:  # an admin call here made it live
                return False
            try:
                fresh = load_live_index(self.settings)
                check_manifest(
                    fresh.manifest,
                    model=self.embedder.name,
                    corpus_fingerprint=None,
                    chunking=chunking_of(self.settings),
                    vector_store=self.settings.vector_store,
                )
            except AssistantError as exc:
                self._rejected_build = live
                logger.warning(
                    "still serving build %s: the new live build %s was not loaded: %s",
                    self.data.build_dir.name,
                    live,
                    exc.message,
                )
                return False
            previous, self.data = self.data.build_dir.name, fresh
        logger.info("now serving build %s (was %s)", live, previous)
        return True

    def list_documents(self) -> list[Document]:
        """Every indexed document, sorted by id."""
        return sorted(self.data.documents.values(), key=lambda d: d.doc_id)

    def get_document(self, doc_id: str) -> Document:
        """One document by id; raises NotFoundError naming the id."""
        document = self.data.documents.get(doc_id)
        if document is None:
            raise NotFoundError(
                f"no document with id {doc_id!r}: list the ids with GET /v1/documents"
            )
        return document
